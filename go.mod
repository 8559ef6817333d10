module github.com/vigil-sec/vigil

go 1.26.8

require (
	github.com/goccy/go-json v0.12.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
