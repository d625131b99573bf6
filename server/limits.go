package server

import (
	"time"

	"phusong/data/input"
)

// Limits are every bound the server puts on its clients, in one place: upload bodies and their
// content, concurrent uploads, request rates, timeouts, the response cache. Each field is a
// `phusong serve` flag (Flags) and a line of docs/limits.md. A zero field takes its default
// (DefaultLimits); a negative one lifts the limit where the field says so.
type Limits struct {
	// Upload bodies.
	MaxBodyBytes         int64         // request body as sent (gzip-encoded or not)
	MaxDecompressedBytes int64         // body after gzip decoding
	MinUploadBytesPerS   int64         // average rate an upload body must keep after UploadGrace; < 0: none
	UploadGrace          time.Duration // time an upload body may lag behind MinUploadBytesPerS

	// Upload content (413 over a count, 422 for a site over MaxSectorsPerSite); < 0: none.
	MaxRows                  int   // CSV data rows or GeoJSON features of one file
	MaxSitesPerCarrier       int   // sites of one carrier's list, in the file and after an upsert
	MaxSectorsPerSite        int   // sectors of one site
	MaxFibreItemsPerOperator int   // routes and access points of one operator's network
	MaxFeatureBytes          int64 // JSON bytes of one GeoJSON feature

	// Concurrent uploads (503 with Retry-After when taken); < 0: none.
	UploadSlots           int // uploads validated and applied at once, over every carrier
	UploadSlotsPerCarrier int // of them, uploads of one carrier (or operator)
	ReceivingPerCarrier   int // upload bodies of one carrier being received at once (before a slot)

	// Request rates (429 with Retry-After); < 0: none.
	TokenRatePerMinute    float64 // requests per token
	TokenBurst            int     // requests a token may make at once
	BadTokenRatePerMinute float64 // requests with an invalid token per client address (checked first)
	BadTokenBurst         int     // invalid tokens a client address may send at once
	AnonRatePerMinute     float64 // requests to the public routes per client address (IPv6: per /64)
	AnonBurst             int     // public requests a client address may make at once

	// Time.
	RequestTimeout    time.Duration // deadline of a request (reading an upload body excepted)
	UploadTimeout     time.Duration // deadline of an upload once its body is in (validate, recompute, commit)
	ReadHeaderTimeout time.Duration // time to send the request line and headers
	IdleTimeout       time.Duration // keep-alive connection idle time

	// Memory, storage, CPU.
	CacheBytes int64 // response cache of one data version (the previous one is kept while the next warms)
	// PolygonCacheBytes bounds the full-detail coverage layers and gaps the coverage result of
	// a data version keeps once built (coverage.Options.PolygonCacheBytes); < 0: none.
	PolygonCacheBytes int64
	MemoryLimitBytes  int64 // the Go runtime's soft memory limit (GOMEMLIMIT); 0: MemoryLimit's default; < 0: none
	MaxDatabaseBytes  int64 // the database file (SQLite max_page_count; a write past it is a 507); 0: none
	RecomputeWorkers  int   // goroutines of an upload's coverage recompute (serve's engine), so readers keep the other cores
	WriteDutyPct      int   // share of the time uploads and rollbacks may take while the map is read, percent; < 0: all
}

// DefaultLimits returns the limits a zero field takes.
func DefaultLimits() Limits {
	return Limits{
		MaxBodyBytes:         20 << 20,
		MaxDecompressedBytes: 100 << 20,
		MinUploadBytesPerS:   4 << 10,
		UploadGrace:          10 * time.Second,

		MaxRows:                  200_000,
		MaxSitesPerCarrier:       20_000,
		MaxSectorsPerSite:        32,
		MaxFibreItemsPerOperator: 20_000,
		MaxFeatureBytes:          8 << 20,

		UploadSlots:           4,
		UploadSlotsPerCarrier: 1,
		ReceivingPerCarrier:   2,

		TokenRatePerMinute:    120,
		TokenBurst:            30,
		BadTokenRatePerMinute: 30,
		BadTokenBurst:         10,
		AnonRatePerMinute:     600,
		AnonBurst:             300,

		RequestTimeout:    15 * time.Second,
		UploadTimeout:     60 * time.Second,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       120 * time.Second,

		CacheBytes:        32 << 20,
		PolygonCacheBytes: 8 << 20,
		RecomputeWorkers:  1,
		WriteDutyPct:      50,
	}
}

// LimitFlag is one Limits field as a command-line flag: its name, what it bounds, and a
// pointer to the field (*int, *int64, *float64 or *time.Duration; Bytes says an *int64 counts
// bytes).
type LimitFlag struct {
	Name  string
	Usage string
	Ptr   any
	Bytes bool
}

// Flags lists every field of l as a flag, in the order of docs/limits.md.
func (l *Limits) Flags() []LimitFlag {
	b := func(name, usage string, p *int64) LimitFlag { return LimitFlag{name, usage, p, true} }
	f := func(name, usage string, p any) LimitFlag { return LimitFlag{name, usage, p, false} }
	return []LimitFlag{
		b("max-body-bytes", "upload body as sent, gzip or not (413 past it)", &l.MaxBodyBytes),
		b("max-decompressed-bytes", "upload body after gzip decoding (413)", &l.MaxDecompressedBytes),
		b("min-upload-rate", "bytes per second an upload body must average after --upload-grace (408 below; -1 none)", &l.MinUploadBytesPerS),
		f("upload-grace", "time an upload body may lag behind --min-upload-rate", &l.UploadGrace),
		f("max-rows", "CSV rows or GeoJSON features of one uploaded file (413; -1 none)", &l.MaxRows),
		f("max-sites-per-carrier", "sites of a carrier's list, in a file and after an upsert (413; -1 none)", &l.MaxSitesPerCarrier),
		f("max-sectors-per-site", "sectors of one site (422; -1 none)", &l.MaxSectorsPerSite),
		f("max-fibre-items", "routes and access points of an operator's fibre network (413; -1 none)", &l.MaxFibreItemsPerOperator),
		b("max-feature-bytes", "JSON bytes of one GeoJSON feature of an upload (413; -1 none)", &l.MaxFeatureBytes),
		f("upload-slots", "uploads validated and applied at once, all carriers (503; -1 none)", &l.UploadSlots),
		f("upload-slots-per-carrier", "of them, uploads of one carrier (503; -1 none)", &l.UploadSlotsPerCarrier),
		f("receiving-per-carrier", "upload bodies of one carrier being received at once (503; -1 none)", &l.ReceivingPerCarrier),
		f("token-rate-per-minute", "requests per upload token (429; -1 none)", &l.TokenRatePerMinute),
		f("token-burst", "requests an upload token may make at once", &l.TokenBurst),
		f("bad-token-rate-per-minute", "requests with an invalid token per client address (429; -1 none)", &l.BadTokenRatePerMinute),
		f("bad-token-burst", "invalid tokens a client address may send at once", &l.BadTokenBurst),
		f("anon-rate-per-minute", "public (map) requests per client address, IPv6 per /64 (429; -1 none)", &l.AnonRatePerMinute),
		f("anon-burst", "public requests a client address may make at once", &l.AnonBurst),
		f("request-timeout", "deadline of a request, reading an upload body excepted (503)", &l.RequestTimeout),
		f("upload-timeout", "deadline of an upload once its body is in: validate, recompute, commit (503)", &l.UploadTimeout),
		f("read-header-timeout", "time a client has to send the request line and headers", &l.ReadHeaderTimeout),
		f("idle-timeout", "keep-alive connection idle time", &l.IdleTimeout),
		b("cache-bytes", "response cache of one data version: answers and OGC/tile feature sets (least recently used dropped past it)", &l.CacheBytes),
		b("polygon-cache-bytes", "full-detail coverage layers and gaps kept by the coverage of one data version (least recently used contoured again past it; -1 none)", &l.PolygonCacheBytes),
		b("memory-limit", "the Go runtime's soft memory limit (GOMEMLIMIT: the collector works harder near it); 0: 1.25 × the heap after loading + 4 × --cache-bytes, or $GOMEMLIMIT when set; -1 none", &l.MemoryLimitBytes),
		b("max-db-bytes", "database file (507 for a write past it; 0 none)", &l.MaxDatabaseBytes),
		f("recompute-workers", "goroutines of an upload's coverage recompute (the other cores stay with readers)", &l.RecomputeWorkers),
		f("write-duty", "percent of the time uploads and rollbacks (recompute, warm-up) may take while the map is read: the next one waits (-1 none)", &l.WriteDutyPct),
	}
}

// withDefaults returns l with every zero field set to its default.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	dst, def := l.Flags(), d.Flags()
	for i := range dst {
		switch p := dst[i].Ptr.(type) {
		case *int:
			if *p == 0 {
				*p = *def[i].Ptr.(*int)
			}
		case *int64:
			if *p == 0 {
				*p = *def[i].Ptr.(*int64)
			}
		case *float64:
			if *p == 0 {
				*p = *def[i].Ptr.(*float64)
			}
		case *time.Duration:
			if *p == 0 {
				*p = *def[i].Ptr.(*time.Duration)
			}
		}
	}
	return l
}

// inputLimits are the limits on an upload's content, for the readers (a negative field is
// none, which the readers spell 0).
func (l Limits) inputLimits() input.Limits {
	pos := func(n int) int { return max(n, 0) }
	return input.Limits{
		MaxRows:           pos(l.MaxRows),
		MaxSites:          pos(l.MaxSitesPerCarrier),
		MaxSectorsPerSite: pos(l.MaxSectorsPerSite),
		MaxFibreItems:     pos(l.MaxFibreItemsPerOperator),
		MaxFeatureBytes:   max(l.MaxFeatureBytes, 0),
	}
}

// MemoryLimit returns the soft memory limit for the Go runtime (debug.SetMemoryLimit) of a
// server whose heap holds liveHeapBytes once its data is loaded: MemoryLimitBytes when set,
// -1 (none) when negative, and by default 1.25 × liveHeapBytes + 4 × CacheBytes (314 MB on
// the demo, whose heap after loading is 144 MB). The default leaves room for what a server adds
// to its loaded state: the fields, rasters and layers the coverage result builds on first
// request and keeps (on the demo ~27 MB once warmed: the any-carrier fields, one carrier's
// field, the packed boundary rasters, PolygonCacheBytes of polygons), a second state while an
// upload is applied, the served and the warming versions' response caches (2 × CacheBytes)
// and the answers being built (fills: at most one per core, counted as 2 × CacheBytes). It
// keeps the allocated heap of the demo under 300 MB when one client asks distinct answers as
// fast as served (bench/README.md, "cache, fourth pass"). Under it the collector runs as GOGC says; near it, it runs more
// often instead of letting garbage double the heap (GOGC=100 lets the heap reach twice the
// live heap before collecting). It is a soft limit: when the live heap exceeds it, the program
// keeps running and the collector takes at most about half the CPU.
func (l Limits) MemoryLimit(liveHeapBytes int64) int64 {
	l = l.withDefaults()
	switch {
	case l.MemoryLimitBytes > 0:
		return l.MemoryLimitBytes
	case l.MemoryLimitBytes < 0:
		return -1
	}
	return liveHeapBytes*5/4 + 4*max(l.CacheBytes, 0)
}
