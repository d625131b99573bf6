package data

// Tech is a radio access technology. 2G and 5G are accepted and stored; 3G and 4G are analysed.
type Tech string

// Technologies phusong accepts.
const (
	Tech2G Tech = "2G"
	Tech3G Tech = "3G"
	Tech4G Tech = "4G"
	Tech5G Tech = "5G"
)

// AnalysedTechs are the technologies the coverage engine predicts, in display order.
var AnalysedTechs = []Tech{Tech3G, Tech4G}

// Status says whether a site is on air.
type Status string

// Site statuses.
const (
	StatusActive  Status = "active"
	StatusPlanned Status = "planned"
)

// Site is one mast or rooftop of one carrier: a location, an antenna height and its sectors.
type Site struct {
	Carrier string   `json:"carrier"`  // Carrier.ID
	SiteID  string   `json:"site_id"`  // the carrier's own id, unique per carrier
	Lon     float64  `json:"lon"`      // WGS84 degrees
	Lat     float64  `json:"lat"`      // WGS84 degrees
	HeightM float64  `json:"height_m"` // antenna height above ground, metres
	Status  Status   `json:"status"`
	Sectors []Sector `json:"sectors"`
}

// Key identifies a site across carriers.
func (s *Site) Key() SiteKey { return SiteKey{Carrier: s.Carrier, SiteID: s.SiteID} }

// HasTech reports whether any sector of the site carries t.
func (s *Site) HasTech(t Tech) bool {
	for i := range s.Sectors {
		if s.Sectors[i].Tech == t {
			return true
		}
	}
	return false
}

// Techs returns the distinct technologies of the site's sectors in 2G..5G order.
func (s *Site) Techs() []Tech {
	var out []Tech
	for _, t := range []Tech{Tech2G, Tech3G, Tech4G, Tech5G} {
		if s.HasTech(t) {
			out = append(out, t)
		}
	}
	return out
}

// SiteKey is (carrier, site id).
type SiteKey struct {
	Carrier string
	SiteID  string
}

// Sector is one cell of a site: one technology on one band through one antenna.
//
// PowerDBm is the LTE transmit power per antenna port for 4G/5G (with BandwidthMHz giving
// the channel width, used to derive the reference-signal power per resource element), and
// the CPICH power for 3G. For 2G it is the BCCH carrier power.
type Sector struct {
	CellID       string  `json:"cell_id,omitempty"`
	Tech         Tech    `json:"tech"`
	BandMHz      float64 `json:"band_mhz"`       // downlink centre frequency class: 700, 900, 1800, 2100, 2600 …
	Omni         bool    `json:"omni"`           // omnidirectional antenna: AzimuthDeg and BeamwidthDeg are ignored
	AzimuthDeg   float64 `json:"azimuth_deg"`    // boresight, degrees clockwise from true north
	BeamwidthDeg float64 `json:"beamwidth_deg"`  // horizontal half-power beamwidth
	TiltDeg      float64 `json:"tilt_deg"`       // electrical + mechanical downtilt, positive = down
	PowerDBm     float64 `json:"power_dbm"`      // see type comment
	BandwidthMHz float64 `json:"bandwidth_mhz"`  // LTE/NR channel bandwidth; 5 for UMTS
	GainDBi      float64 `json:"gain_dbi"`       // antenna boresight gain
	FeederLossDB float64 `json:"feeder_loss_db"` // cable and connector loss
}
