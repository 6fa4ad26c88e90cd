module github.com/gcdet/gcdet

go 1.26

require (
	github.com/disintegration/imaging v1.6.2
	github.com/ebitengine/purego v0.11.3
)

require golang.org/x/image v0.25.0 // indirect
