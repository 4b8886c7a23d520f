// Package remoteuri is libvirt's remote driver's choice of where to connect
// for a URI (src/remote/remote_driver.c, remoteConnectOpen and
// remoteGetUNIXSocket): URI parsing as libxml2 does it, the transport, the
// name sent in CONNECT_OPEN, and which UNIX socket (libvirtd's or the
// per-driver daemon's, by remote_mode). It reads the client's libvirt.conf
// (package virconf) and tests whether sockets exist, through Env; it never
// connects.
package remoteuri

import (
	"os"
	"strconv"
	"strings"

	"github.com/libvirt-lxc-go/libvirt-lxc/internal/report"
	"github.com/libvirt-lxc-go/libvirt-lxc/internal/virconf"
)

// Target is where and how a connection for a URI is made.
type Target struct {
	Transport string // "unix", "tls", "tcp", "ssh", "libssh", "libssh2", "ext"
	Socket    string // UNIX socket path (unix transport only)
	Name      string // the URI sent in CONNECT_OPEN
	ReadOnly  bool
}

// Env is what socket selection depends on besides the URI; tests replace it.
type Env struct {
	Euid       int
	Home       string
	XDGConfig  string // $XDG_CONFIG_HOME
	XDGRuntime string // $XDG_RUNTIME_DIR
	Exists     func(path string) bool
	ReadFile   func(path string) ([]byte, error)
}

// HostEnv describes the running process.
func HostEnv() *Env {
	return &Env{
		Euid:       os.Geteuid(),
		Home:       os.Getenv("HOME"),
		XDGConfig:  os.Getenv("XDG_CONFIG_HOME"),
		XDGRuntime: os.Getenv("XDG_RUNTIME_DIR"),
		Exists: func(p string) bool {
			_, err := os.Stat(p)
			return err == nil
		},
		ReadFile: os.ReadFile,
	}
}

// runDir is LOCALSTATEDIR/run/libvirt: libvirt builds socket paths under
// /var/run, not /run, and so do we so that error messages match.
const runDir = "/var/run/libvirt"

// uriParam is one query parameter, unescaped.
type uriParam struct {
	name, value string
	strip       bool // consumed by the client, not sent to the daemon
}

type parsedURI struct {
	scheme, server, path, fragment string
	params                         []uriParam
}

// parseURI splits a URI the way libvirt's parser (libxml2) sees these
// connection URIs: scheme ":" ["//" [user@]host[:port]] path ["?"q] ["#"f].
func parseURI(s string) (*parsedURI, error) {
	colon := strings.IndexByte(s, ':')
	if colon <= 0 || !validScheme(s[:colon]) {
		return nil, newURIError(s)
	}
	u := &parsedURI{scheme: s[:colon]}
	rest := s[colon+1:]
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		u.fragment = rest[i+1:]
		rest = rest[:i]
	}
	query := ""
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		query = rest[i+1:]
		rest = rest[:i]
	}
	if strings.HasPrefix(rest, "//") {
		auth := rest[2:]
		if i := strings.IndexByte(auth, '/'); i >= 0 {
			auth, rest = auth[:i], auth[i:]
		} else {
			rest = ""
		}
		if i := strings.LastIndexByte(auth, '@'); i >= 0 {
			auth = auth[i+1:]
		}
		if strings.HasPrefix(auth, "[") {
			if i := strings.IndexByte(auth, ']'); i > 0 {
				auth = auth[1:i]
			}
		} else if i := strings.LastIndexByte(auth, ':'); i >= 0 {
			auth = auth[:i]
		}
		u.server = unescape(auth)
	}
	u.path = rest
	u.params = parseParams(query)
	return u, nil
}

func validScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		alpha := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !alpha && (i == 0 || !((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

func newURIError(s string) *report.Error {
	return report.NewError(report.ErrInternal, report.FromURI, "Unable to parse URI "+s)
}

// parseParams follows libvirt's query splitting: sections end at '&', or at
// ';' when no '&' follows; "name" alone means an empty value; "=value" is
// ignored.
func parseParams(q string) []uriParam {
	var ps []uriParam
	for q != "" {
		end := strings.IndexByte(q, '&')
		if end < 0 {
			end = strings.IndexByte(q, ';')
		}
		if end < 0 {
			end = len(q)
		}
		sec := q[:end]
		if sec != "" {
			if eq := strings.IndexByte(sec, '='); eq < 0 {
				ps = append(ps, uriParam{name: unescape(sec)})
			} else if eq > 0 {
				ps = append(ps, uriParam{name: unescape(sec[:eq]), value: unescape(sec[eq+1:])})
			}
		}
		q = q[end:]
		if q != "" {
			q = q[1:]
		}
	}
	return ps
}

func unescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			v, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b.WriteByte(byte(v))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// escapeValue percent-encodes everything but RFC 3986 unreserved characters,
// as libvirt does when it rebuilds the query for the daemon.
func escapeValue(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

var transports = []string{"tls", "unix", "ssh", "libssh2", "ext", "tcp", "libssh"}

// Parameters the client consumes; the rest go to the daemon in the name.
var clientParams = []string{"name", "command", "socket", "auth", "sshauth", "netcat",
	"keyfile", "pkipath", "known_hosts", "known_hosts_verify", "tls_priority", "mode",
	"proxy", "authfile"}

var boolParams = []string{"no_sanity", "no_verify", "no_tty"}

// Resolve applies libvirt's client rules to a connection URI: transport,
// CONNECT_OPEN name, and the socket to connect to. It touches no socket; it
// may read the client config file and test whether sockets exist.
func Resolve(uri string, readonly bool, env *Env) (*Target, error) {
	t, _, err := ResolveWhy(uri, readonly, env)
	return t, err
}

// clientSettings are the URI parameters the client itself acts on; nil
// when not given.
type clientSettings struct {
	name, socket, mode, command *string
}

// ResolveWhy is Resolve, also saying why the socket was chosen (for the
// log).
func ResolveWhy(uri string, readonly bool, env *Env) (*Target, string, error) {
	u, err := parseURI(uri)
	if err != nil {
		return nil, "", err
	}
	driver, transport, err := splitScheme(u)
	if err != nil {
		return nil, "", err
	}
	cs, err := takeClientParams(u)
	if err != nil {
		return nil, "", err
	}
	t := &Target{Transport: transport, ReadOnly: readonly}
	switch {
	case cs.name != nil:
		t.Name = *cs.name
	case u.scheme == "remote" || strings.HasPrefix(u.scheme, "remote+"):
		t.Name = "" // lets the daemon pick its default
	default:
		t.Name = formatName(driver, u)
	}
	mode, err := remoteMode(cs.mode, env)
	if err != nil {
		return nil, "", err
	}
	if transport == "ext" && cs.command == nil {
		return nil, "", report.NewError(report.ErrInvalidArg, report.FromRemote, "remote_open: for 'ext' transport, command is required")
	}
	why := "no socket for transport " + transport
	switch transport {
	case "unix", "ssh", "libssh", "libssh2":
		if cs.socket != nil {
			t.Socket, why = *cs.socket, "the URI's socket parameter"
			break
		}
		s, w, err := selectSocket(transport, mode, driver, u.path, readonly, env)
		if err != nil {
			return nil, "", err
		}
		t.Socket, why = s, w
	}
	return t, why, nil
}

// splitScheme is the driver and transport of "driver[+transport]": a
// transport given must be known; without one, a server means tls.
func splitScheme(u *parsedURI) (driver, transport string, err error) {
	i := strings.IndexByte(u.scheme, '+')
	if i < 0 {
		if u.server != "" {
			return u.scheme, "tls", nil
		}
		return u.scheme, "unix", nil
	}
	driver, transport = u.scheme[:i], strings.ToLower(u.scheme[i+1:])
	if !contains(transports, transport) {
		return "", "", report.NewError(report.ErrInvalidArg, report.FromRemote,
			"remote_open: transport in URL not recognised (should be tls|unix|ssh|ext|tcp|libssh2|libssh)")
	}
	if transport == "unix" && u.server != "" {
		return "", "", report.NewError(report.ErrInvalidArg, report.FromRemote,
			"using unix socket and remote server '"+u.server+"' is not supported.")
	}
	return driver, transport, nil
}

// takeClientParams marks the parameters the client consumes (they are not
// sent to the daemon) and returns those it acts on; the last of each counts.
func takeClientParams(u *parsedURI) (clientSettings, error) {
	var cs clientSettings
	for i := range u.params {
		p := &u.params[i]
		lname := strings.ToLower(p.name)
		if contains(boolParams, lname) {
			if _, err := strconv.ParseInt(p.value, 10, 32); err != nil {
				return cs, report.NewError(report.ErrInvalidArg, report.FromRemote, "Failed to parse value of URI component "+p.name)
			}
			p.strip = true
			continue
		}
		if !contains(clientParams, lname) {
			continue
		}
		p.strip = true
		v := p.value
		switch lname {
		case "name":
			cs.name = &v
		case "socket":
			cs.socket = &v
		case "mode":
			cs.mode = &v
		case "command":
			cs.command = &v
		}
	}
	return cs, nil
}

// remoteMode is the URI's mode, else libvirt.conf's remote_mode, else
// "auto"; anything but auto, legacy or direct is an error.
func remoteMode(mode *string, env *Env) (string, error) {
	if mode == nil {
		if m, ok := configString(env, "remote_mode"); ok {
			mode = &m
		}
	}
	if mode == nil {
		return "auto", nil
	}
	if *mode != "auto" && *mode != "legacy" && *mode != "direct" {
		return "", report.NewError(report.ErrInvalidArg, report.FromRemote, "Unknown remote mode '"+*mode+"'")
	}
	return *mode, nil
}

// formatName rebuilds the URI without transport, user, host, port and the
// client-side parameters.
func formatName(driver string, u *parsedURI) string {
	var q []string
	for _, p := range u.params {
		if !p.strip {
			q = append(q, p.name+"="+escapeValue(p.value))
		}
	}
	s := driver + "://" + u.path
	if len(q) > 0 {
		s += "?" + strings.Join(q, "&")
	}
	if u.fragment != "" {
		s += "#" + u.fragment
	}
	return s
}

// selectSocket picks libvirtd's socket ("legacy") or the per-driver daemon's
// ("direct"); "auto" prefers the direct one when it exists.
// The second result says why, for the log.
func selectSocket(transport, mode, driver, path string, readonly bool, env *Env) (string, string, *report.Error) {
	user := env.Euid != 0 && path == "/session"
	sock := func(prefix string) string {
		if user {
			dir := env.XDGRuntime
			if dir == "" {
				dir = env.Home + "/.cache"
			}
			return dir + "/libvirt/" + prefix + "-sock"
		}
		if readonly {
			return runDir + "/" + prefix + "-sock-ro"
		}
		return runDir + "/" + prefix + "-sock"
	}
	direct := sock("virt" + driver + "d")
	if driver == "remote" {
		direct = sock("libvirt") // virtproxyd's socket
	}
	legacy := sock("libvirt")
	why := "remote mode " + mode
	if mode == "auto" {
		mode = "legacy"
		if transport == "unix" && env.Exists(direct) {
			mode = "direct"
		}
		why = "remote mode auto: " + direct + " does not exist, legacy"
		if mode == "direct" {
			why = "remote mode auto: " + direct + " exists"
		}
	}
	if mode == "direct" {
		if transport != "unix" {
			return "", "", report.NewError(report.ErrUnsupported, report.FromRemote, "Cannot use direct socket mode for "+transport+" transport")
		}
		return direct, why, nil
	}
	return legacy, why, nil
}

// configString reads one string setting from the client config file
// (libvirt.conf) with libvirt's parser semantics (package virconf): the first
// setting of key counts. A missing, unreadable or unparsable file, or a
// value that is not a string, means "not set": the caller's connection was
// opened with that file already, and libvirt reads it only then.
func configString(env *Env, key string) (string, bool) {
	path := "/etc/libvirt/libvirt.conf"
	if env.Euid != 0 {
		dir := env.XDGConfig
		if dir == "" {
			dir = env.Home + "/.config"
		}
		path = dir + "/libvirt/libvirt.conf"
	}
	data, err := env.ReadFile(path)
	if err != nil || len(data) > virconf.MaxSize {
		return "", false
	}
	c, err := virconf.Parse(path, data)
	if err != nil {
		return "", false
	}
	v, ok, err := c.StringValue(key)
	if err != nil {
		return "", false
	}
	return v, ok
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
