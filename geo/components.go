package geo

// Components8 gives every set cell of a nx × ny row-major mask the index of its 8-connected
// component (numbered in the order of their first cell), −1 to the others, and returns the
// number of components.
func Components8(mask []bool, nx, ny int) ([]int32, int) {
	labels := make([]int32, len(mask))
	for k := range labels {
		labels[k] = -1
	}
	var queue []int32
	n := int32(0)
	for k, in := range mask {
		if !in || labels[k] >= 0 {
			continue
		}
		labels[k] = n
		queue = append(queue[:0], int32(k))
		for len(queue) > 0 {
			c := int(queue[len(queue)-1])
			queue = queue[:len(queue)-1]
			ci, cj := c%nx, c/nx
			for dj := -1; dj <= 1; dj++ {
				for di := -1; di <= 1; di++ {
					i, j := ci+di, cj+dj
					if i < 0 || j < 0 || i >= nx || j >= ny {
						continue
					}
					if q := j*nx + i; mask[q] && labels[q] < 0 {
						labels[q] = n
						queue = append(queue, int32(q))
					}
				}
			}
		}
		n++
	}
	return labels, int(n)
}
