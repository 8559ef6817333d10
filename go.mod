module github.com/vigil-sec/vigil

go 1.26.8

require (
	github.com/goccy/go-json v0.12.0
	github.com/klauspost/compress v1.20.4
	github.com/mattn/go-sqlite3 v1.14.53
)

require gopkg.in/yaml.v3 v3.0.1 // indirect
