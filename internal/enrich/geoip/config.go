package geoip

import (
	"fmt"
	"time"
)

// Config says which databases to read. Either path may be empty: without city_db no
// locations are added, without asn_db no networks.
type Config struct {
	CityPath    string        `yaml:"city_db"`      // GeoLite2/GeoIP2 City (or Enterprise) .mmdb
	ASNPath     string        `yaml:"asn_db"`       // GeoLite2 ASN (or GeoIP2 ISP) .mmdb
	ReloadEvery time.Duration `yaml:"reload_every"` // how often Run checks the files; 0 means 60s
	// CityKey and ASNKey are how errors and logs name the two settings, as the user wrote
	// them (detect.geoip_city in a config, --geoip-city on a command line); empty means
	// city_db and asn_db.
	CityKey, ASNKey string `yaml:"-"`
}

// defaultReloadEvery is how often Run looks at the files when the config does not say:
// MaxMind publishes at most twice a week, so a minute is prompt and costs two stat calls.
const defaultReloadEvery = 60 * time.Second

func defaultConfig() Config { return Config{ReloadEvery: defaultReloadEvery} }

// Validate checks the config without touching the files.
func (c Config) Validate() error {
	if c.ReloadEvery < 0 {
		return fmt.Errorf("geoip: reload_every %s: must not be negative", c.ReloadEvery)
	}
	return nil
}

// withDefaults fills what the config left zero.
func (c Config) withDefaults() Config {
	if c.ReloadEvery == 0 {
		c.ReloadEvery = defaultConfig().ReloadEvery
	}
	if c.CityKey == "" {
		c.CityKey = "city_db"
	}
	if c.ASNKey == "" {
		c.ASNKey = "asn_db"
	}
	return c
}
