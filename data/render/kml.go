package render

import (
	"encoding/xml"
	"fmt"
	"image/color"
	"io"
	"strings"

	"github.com/twpayne/go-geom"
	geomkml "github.com/twpayne/go-geom/encoding/kml"
	"github.com/twpayne/go-kml/v3"
)

// labelStyleID is the shared style of label placemarks: no icon, the name only.
const labelStyleID = "label"

// WriteKML writes d as one KML 2.2 document (UTF-8, lon,lat coordinates):
//
//	Document: name, description (d.Description, the coverage definition and data versions,
//	          and the synthetic-data note when d.Note is set, which is also the Snippet shown
//	          under the name in Google Earth's Places panel)
//	  Style <layer id> per layer (fill and outline colours with alpha), Style "label"
//	  Schema <layer id>_schema per layer: one typed SimpleField per property column
//	  Folder per layer: one Placemark per feature (name, styleUrl, ExtendedData/SchemaData with
//	          the properties, the geometry, polygons tessellated to drape on terrain)
//	  Folder "<layer name> — labels" per layer with areal named features: a Point placemark at
//	          each feature's LabelPoint, so names show in Google Earth and QGIS can label them
//
// Geometries are converted with ToGeom (exterior rings counter-clockwise, as Google Earth needs
// to fill them) and encoded by go-geom's encoding/kml. An error names the layer and feature.
func WriteKML(w io.Writer, d *Document) error {
	doc := kml.Document(kml.Name(d.Name), kml.Open(true))
	if d.Note != "" {
		doc.Append(kml.Snippet(d.Note))
	}
	doc.Append(kml.Description(documentDescription(d)))
	ids := layerIDs(d.Layers)
	for i, l := range d.Layers {
		doc.Append(styleElement(ids[i], l.Style))
	}
	doc.Append(kml.SharedStyle(labelStyleID, kml.IconStyle(kml.Scale(0)), kml.LabelStyle(kml.Scale(1))))
	cols := make([][]string, len(d.Layers))
	for i, l := range d.Layers {
		cols[i] = columns(l.Features)
		if len(cols[i]) == 0 {
			continue
		}
		fields := make([]kml.Element, len(cols[i]))
		for j, c := range cols[i] {
			fields[j] = kml.SimpleField(c, kmlType(l.Features, c))
		}
		doc.Append(kml.NamedSchema(ids[i]+"_schema", ids[i], fields...))
	}
	for i, l := range d.Layers {
		folder := kml.Folder(kml.Name(l.Name))
		if l.Description != "" {
			folder.Append(kml.Description(l.Description))
		}
		labels := kml.Folder(kml.Name(l.Name + " — labels"))
		nLabels := 0
		for j, f := range l.Features {
			g, err := ToGeom(f.Geometry)
			if err != nil {
				return fmt.Errorf("export: kml: layer %s feature %d: %w", l.ID, j, err)
			}
			pm, err := placemark(f, g, "#"+ids[i], "#"+ids[i]+"_schema", len(cols[i]) > 0)
			if err != nil {
				return fmt.Errorf("export: kml: layer %s feature %d: %w", l.ID, j, err)
			}
			folder.Append(pm)
			if c, ok := LabelPoint(g); ok && f.Name != "" {
				labels.Append(kml.Placemark(kml.Name(f.Name), kml.StyleURL("#"+labelStyleID),
					kml.Point(kml.Coordinates(kml.Coordinate{Lon: c[0], Lat: c[1]}))))
				nLabels++
			}
		}
		doc.Append(folder)
		if nLabels > 0 {
			doc.Append(labels)
		}
	}
	if err := kml.KML(doc).WriteIndent(w, "", " "); err != nil {
		return fmt.Errorf("export: kml: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// documentDescription is the Document's description: what it shows, then its provenance.
func documentDescription(d *Document) string {
	parts := []string{}
	if d.Description != "" {
		parts = append(parts, d.Description)
	}
	var prov []string
	if d.DefinitionVersion != "" {
		prov = append(prov, "Coverage definition version "+d.DefinitionVersion+".")
	}
	if d.Calibration != "" {
		prov = append(prov, "Path loss "+d.Calibration+".")
	}
	if d.DataVersion > 0 {
		prov = append(prov, fmt.Sprintf("Station data version %d.", d.DataVersion))
	}
	prov = append(prov, "Made by phusong; coordinates WGS84 lon/lat (EPSG:4326).")
	parts = append(parts, strings.Join(prov, " "))
	if d.Note != "" {
		parts = append(parts, "SYNTHETIC DATA: "+d.Note)
	}
	return strings.Join(parts, "\n\n")
}

// kmlValue is formatValue, but for a boolean 1 or 0: both are XML Schema booleans, as KML's
// SimpleField type "bool" asks, and GDAL's LIBKML driver (QGIS) reads "true" as the integer 0.
func kmlValue(v any) string {
	if b, ok := v.(bool); ok {
		if b {
			return "1"
		}
		return "0"
	}
	return formatValue(v)
}

// placemark is one feature's Placemark.
func placemark(f Feature, g geom.T, styleURL, schemaURL string, hasSchema bool) (*kml.PlacemarkElement, error) {
	pm := kml.Placemark()
	if f.Name != "" {
		pm.Append(kml.Name(f.Name))
	}
	pm.Append(kml.StyleURL(styleURL))
	if hasSchema {
		sd := kml.SchemaData(schemaURL)
		for _, p := range f.Properties {
			if v := kmlValue(p.Value); p.Value != nil && v != "" {
				sd.Append(kml.SimpleData(p.Name, v))
			}
		}
		pm.Append(kml.ExtendedData(sd))
	}
	if g != nil {
		e, err := geomkml.Encode(g)
		if err != nil {
			return nil, err
		}
		pm.Append(tessellate(e))
	}
	return pm, nil
}

// tessellate marks polygons and lines (also inside MultiGeometry) to follow the terrain.
func tessellate(e kml.Element) kml.Element {
	switch e := e.(type) {
	case *kml.PolygonElement:
		e.Children = append([]kml.Element{kml.Tessellate(true)}, e.Children...)
	case *kml.LineStringElement:
		e.Children = append([]kml.Element{kml.Tessellate(true)}, e.Children...)
	case *kml.MultiGeometryElement:
		for _, c := range e.Children {
			tessellate(c)
		}
	}
	return e
}

// styleElement is a layer's shared Style.
func styleElement(id string, s Style) *kml.StyleElement {
	width := s.LineWidthPx
	if width <= 0 {
		width = 1
	}
	poly := kml.PolyStyle(kmlColor(s.Fill))
	if s.Fill.A == 0 {
		poly.Append(kml.Fill(false))
	}
	return kml.SharedStyle(id, kml.LineStyle(kmlColor(s.Line), kml.Width(width)), poly)
}

// kmlColor is a <color> element in KML's aabbggrr order. go-kml's Color takes a color.Color
// and reads it through RGBA(), which premultiplies by alpha and would darken a translucent
// fill; this writes the straight components.
type kmlColor color.NRGBA

// MarshalXML implements xml.Marshaler.
func (c kmlColor) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	start := xml.StartElement{Name: xml.Name{Local: "color"}}
	return e.EncodeElement(fmt.Sprintf("%02x%02x%02x%02x", c.A, c.B, c.G, c.R), start)
}

// layerIDs returns an XML id per layer: the layer's ID with characters outside [A-Za-z0-9_.-]
// replaced by "_", "_" in front of a leading digit, "layer" when empty, and a numeric suffix
// to keep ids unique.
func layerIDs(layers []Layer) []string {
	ids := make([]string, len(layers))
	used := map[string]bool{labelStyleID: true}
	for i, l := range layers {
		id := SafeName(l.ID)
		if id == "" {
			id = "layer"
		}
		if c := id[0]; c >= '0' && c <= '9' || c == '-' || c == '.' {
			id = "_" + id
		}
		base := id
		for n := 2; used[id]; n++ {
			id = fmt.Sprintf("%s_%d", base, n)
		}
		used[id] = true
		ids[i] = id
	}
	return ids
}
