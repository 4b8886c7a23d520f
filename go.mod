module github.com/libvirt-lxc-go/libvirt-lxc

go 1.22

require (
	github.com/google/go-cmp v0.5.9
	golang.org/x/sys v0.22.0
)
