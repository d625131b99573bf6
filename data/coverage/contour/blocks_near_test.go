package contour

// nearOf is the scene's near list as EdgeBlocks reads it: the position of engine-grid cell gk
// in other, or −1.
func (sc *scene) nearOf(gk int) int32 {
	i, j := gk%sc.g.NX-sc.w.Rect.I0, gk/sc.g.NX-sc.w.Rect.J0
	return sc.near[j*sc.w.Grid.NX+i]
}
