package hostinfo

import (
	"errors"
	"net"
	"slices"
)

// netInterface is the part of a network interface host.ip needs.
type netInterface struct {
	flags net.Flags
	addrs []net.Addr
}

func netInterfaces() ([]netInterface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	out := make([]netInterface, 0, len(ifs))
	var errs []error
	for _, i := range ifs {
		addrs, err := i.Addrs()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, netInterface{flags: i.Flags, addrs: addrs})
	}
	return out, errors.Join(errs...)
}

// hostIPs is host.ip: the addresses of interfaces that are up, without
// loopback and without link-local ones (fe80::/10, 169.254/16), which every
// interface has and which identify nothing outside the link.
func hostIPs(ifs []netInterface) []string {
	var out []string
	for _, i := range ifs {
		if i.flags&net.FlagUp == 0 || i.flags&net.FlagLoopback != 0 {
			continue
		}
		for _, a := range i.addrs {
			var ip net.IP
			switch a := a.(type) {
			case *net.IPNet:
				ip = a.IP
			case *net.IPAddr:
				ip = a.IP
			}
			if ip == nil || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() {
				continue
			}
			if s := ip.String(); !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}
