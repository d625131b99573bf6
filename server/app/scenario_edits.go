package app

import (
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/plan"
	"phusong/data/store"
)

// Scenario edit operations.
const (
	EditAdd      = "add"      // a new site: Site, or SiteTemplate at Lon/Lat with Tech and HeightM
	EditMove     = "move"     // an existing site to Lon/Lat
	EditRemove   = "remove"   // an existing site
	EditModify   = "modify"   // HeightM, and per sector (Sector, or every one) AzimuthDeg, TiltDeg, PowerDBm, Tech
	EditColocate = "colocate" // a new site of Carrier on the mast HostCarrier/HostSiteID (its position and height)
)

// Edit is one change of a scenario to the published station lists. Carrier/SiteID name the
// site edited (for add and colocate, the new one). Unset fields are left as they are, so a
// rebase re-applies an edit on top of whatever the carrier published meanwhile.
type Edit struct {
	Op      string   `json:"op"`
	Carrier string   `json:"carrier"`
	SiteID  string   `json:"site_id"`
	Lon     *float64 `json:"lon,omitempty"`
	Lat     *float64 `json:"lat,omitempty"`
	HeightM *float64 `json:"height_m,omitempty"`
	// Tech: add/colocate, the technology of the template's three sectors (default 4G); modify,
	// the new technology of the sectors (band, power and bandwidth reset to its defaults).
	Tech data.Tech `json:"tech,omitempty"`
	// Sector (0-based) limits a modify to one sector; without it AzimuthDeg rotates the whole
	// site so that its first sector points there, and the other fields apply to every sector.
	Sector     *int     `json:"sector,omitempty"`
	AzimuthDeg *float64 `json:"azimuth_deg,omitempty"`
	TiltDeg    *float64 `json:"tilt_deg,omitempty"`
	PowerDBm   *float64 `json:"power_dbm,omitempty"`
	// HostCarrier and HostSiteID name the mast a colocate shares.
	HostCarrier string `json:"host_carrier,omitempty"`
	HostSiteID  string `json:"host_site_id,omitempty"`
	// Site is, for add, the whole new site (Carrier, SiteID and position win over its own).
	Site *data.Site `json:"site,omitempty"`
}

// edited is the outcome of applying a scenario's edits to a state's lists.
type edited struct {
	lists   map[string][]data.Site // the new list of every carrier an edit touches
	changed map[data.SiteKey]bool  // sites added or changed (not removed)
	removed map[data.SiteKey]bool
}

// applyEdits applies edits in order to st's published lists. Every problem is a ParseError
// whose Field names the edit ("edits[2].site_id"): unknown sites, sites outside the communes,
// out-of-range values. mayEdit, when not nil, refuses carriers the token may not edit.
func (st *State) applyEdits(edits []Edit, mayEdit func(carrier string) bool) (*edited, data.ParseErrors) {
	lists := map[string]map[string]*data.Site{}
	list := func(carrier string) map[string]*data.Site {
		if l, ok := lists[carrier]; ok {
			return l
		}
		l := map[string]*data.Site{}
		for _, s := range st.Snapshot.Sites(store.Filter{Carrier: carrier}) {
			l[s.SiteID] = s // shared: copied before any change
		}
		lists[carrier] = l
		return l
	}
	out := &edited{changed: map[data.SiteKey]bool{}, removed: map[data.SiteKey]bool{}}
	var errs data.ParseErrors
	for i := range edits {
		ed := &edits[i]
		bad := func(field, value, format string, args ...any) {
			errs = append(errs, &data.ParseError{Field: fmt.Sprintf("edits[%d].%s", i, field), Value: value, Msg: fmt.Sprintf(format, args...)})
		}
		if id, ok := data.ResolveCarrier(ed.Carrier); !ok || id != ed.Carrier {
			bad("carrier", ed.Carrier, "is not a known carrier id")
			continue
		}
		if mayEdit != nil && !mayEdit(ed.Carrier) {
			bad("carrier", ed.Carrier, "this token may edit only its own carrier's sites")
			continue
		}
		l := list(ed.Carrier)
		cur, exists := l[ed.SiteID]
		var next data.Site
		switch ed.Op {
		case EditAdd, EditColocate:
			if exists {
				bad("site_id", ed.SiteID, "site %s/%s already exists", ed.Carrier, ed.SiteID)
				continue
			}
			tech := ed.Tech
			if tech == "" {
				tech = data.Tech4G
			}
			h := data.DefaultHeightM
			if ed.HeightM != nil {
				h = *ed.HeightM
			}
			switch {
			case ed.Op == EditColocate:
				host, ok := list(ed.HostCarrier)[ed.HostSiteID]
				if !ok || ed.HostCarrier == ed.Carrier {
					bad("host_site_id", ed.HostCarrier+"/"+ed.HostSiteID, "is not another carrier's existing site")
					continue
				}
				if ed.HeightM == nil {
					h = host.HeightM
				}
				next = plan.SiteTemplate(ed.Carrier, ed.SiteID, host.Lon, host.Lat, h, tech)
			case ed.Site != nil:
				next = cloneSite(ed.Site)
				next.Carrier, next.SiteID = ed.Carrier, ed.SiteID
				if ed.Lon != nil && ed.Lat != nil {
					next.Lon, next.Lat = *ed.Lon, *ed.Lat
				}
			case ed.Lon == nil || ed.Lat == nil:
				bad("lon", "", "an added site needs lon and lat (or a whole site)")
				continue
			default:
				next = plan.SiteTemplate(ed.Carrier, ed.SiteID, *ed.Lon, *ed.Lat, h, tech)
			}
		case EditMove, EditModify, EditRemove:
			if !exists {
				bad("site_id", ed.SiteID, "no site %s/%s in the published data (or removed by an earlier edit)", ed.Carrier, ed.SiteID)
				continue
			}
			if ed.Op == EditRemove {
				delete(l, ed.SiteID)
				k := data.SiteKey{Carrier: ed.Carrier, SiteID: ed.SiteID}
				out.removed[k], out.changed[k] = true, false
				continue
			}
			next = cloneSite(cur)
			if ed.Op == EditMove {
				if ed.Lon == nil || ed.Lat == nil {
					bad("lon", "", "a move needs lon and lat")
					continue
				}
				next.Lon, next.Lat = *ed.Lon, *ed.Lat
			} else if msg, field := modify(&next, ed); msg != "" {
				bad(field, "", "%s", msg)
				continue
			}
		default:
			bad("op", ed.Op, "must be add, move, remove, modify or colocate")
			continue
		}
		next.Status = data.StatusActive // evaluated as if on air; exported as planned
		if err := data.CheckSite(&next, st.Area); err != nil {
			for _, pe := range err.(data.ParseErrors) {
				bad(pe.Field, pe.Value, "%s", pe.Msg)
			}
			continue
		}
		if !st.inCommunes(next.Lon, next.Lat) {
			bad("lon", fmt.Sprintf("%g,%g", next.Lon, next.Lat), "the site lies outside every commune")
			continue
		}
		l[next.SiteID] = &next
		k := next.Key()
		out.changed[k], out.removed[k] = true, false
	}
	if len(errs) > 0 {
		return nil, errs
	}
	out.lists = map[string][]data.Site{}
	for c, l := range lists {
		sites := make([]data.Site, 0, len(l))
		for _, id := range slices.Sorted(maps.Keys(l)) {
			sites = append(sites, *l[id])
		}
		out.lists[c] = sites
	}
	maps.DeleteFunc(out.changed, func(_ data.SiteKey, v bool) bool { return !v })
	maps.DeleteFunc(out.removed, func(_ data.SiteKey, v bool) bool { return !v })
	return out, nil
}

// modify applies a modify edit to s; msg names a problem and field its edit field.
func modify(s *data.Site, ed *Edit) (msg, field string) {
	if ed.HeightM != nil {
		s.HeightM = *ed.HeightM
	}
	secs := make([]int, 0, len(s.Sectors))
	if ed.Sector != nil {
		if *ed.Sector < 0 || *ed.Sector >= len(s.Sectors) {
			return fmt.Sprintf("sector %d: the site has sectors 0 to %d", *ed.Sector, len(s.Sectors)-1), "sector"
		}
		secs = append(secs, *ed.Sector)
	} else {
		for k := range s.Sectors {
			secs = append(secs, k)
		}
	}
	if ed.AzimuthDeg != nil {
		if ed.Sector != nil {
			s.Sectors[*ed.Sector].AzimuthDeg = *ed.AzimuthDeg
		} else if len(s.Sectors) > 0 {
			turn := *ed.AzimuthDeg - s.Sectors[0].AzimuthDeg
			for k := range s.Sectors {
				s.Sectors[k].AzimuthDeg = math.Mod(math.Mod(s.Sectors[k].AzimuthDeg+turn, 360)+360, 360)
			}
		}
	}
	for _, k := range secs {
		sec := &s.Sectors[k]
		if ed.Tech != "" && ed.Tech != sec.Tech {
			d := data.SectorDefaultsFor(ed.Tech, 0)
			if d.BandMHz == 0 {
				return fmt.Sprintf("technology %q: want 2G, 3G, 4G or 5G", ed.Tech), "tech"
			}
			sec.Tech, sec.BandMHz, sec.PowerDBm, sec.BandwidthMHz = ed.Tech, d.BandMHz, d.PowerDBm, d.BandwidthMHz
			sec.CellID = ""
		}
		if ed.TiltDeg != nil {
			sec.TiltDeg = *ed.TiltDeg
		}
		if ed.PowerDBm != nil {
			sec.PowerDBm = *ed.PowerDBm
		}
	}
	return "", ""
}

// cloneSite copies s with its own sectors.
func cloneSite(s *data.Site) data.Site {
	c := *s
	c.Sectors = slices.Clone(s.Sectors)
	return c
}

// inCommunes reports whether (lon, lat) lies on a commune's land (the engine's raster).
func (st *State) inCommunes(lon, lat float64) bool {
	if st.Engine == nil {
		return st.Area.Contains(orb.Point{lon, lat})
	}
	g := st.Engine.Grid()
	i, j, ok := g.CellOf(st.Engine.Projection().Forward(orb.Point{lon, lat}))
	return ok && st.Engine.CommuneIndexRaster()[g.Index(i, j)] >= 0
}
