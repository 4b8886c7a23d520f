// A module of its own only so that the main module's `go vet ./...` and
// `go test ./...` leave this directory alone: its one import, the Go
// libvirt binding, is not a requirement of the main module and is not on
// the module proxy. It is built in GOPATH mode against Debian's copy of the
// binding; see main.go.
module lxcgo.invalid/gobinding

go 1.22
