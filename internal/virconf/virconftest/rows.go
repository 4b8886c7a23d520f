// Package virconftest holds the conformance table of package virconf,
// shared by its tests and by those of indaemon, which reads access_drivers
// from a daemon's config file.
package virconftest

// Row is one config file and what libvirt makes of two settings in it.
type Row struct {
	Name, Text, Access, Mode string
}

// Rows is the conformance table of the config reader: each file's text
// and what libvirt's getters make of access_drivers
// (virConfGetValueStringList, as the daemon reads it) and remote_mode
// (virConfGetValueString, as the client reads it): "absent", a list as
// %q prints it, "=value", "type" (the getter fails), or "syntax" (the file
// does not load at all).
var Rows = []Row{
	{"empty file", "", "absent", "absent"},
	{"comment only", "# nothing\n", "absent", "absent"},
	{"list", "access_drivers = [ \"polkit\" ]\n", `["polkit"]`, "absent"},
	{"empty list", "access_drivers = []\n", "[]", "absent"},
	{"empty list, blanks", "access_drivers = [ \t ]\n", "[]", "absent"},
	{"list of an empty string", "access_drivers = [ \"\" ]\n", `[""]`, "absent"},
	{"no final newline", `access_drivers = [ "polkit" ]`, `["polkit"]`, "absent"},
	{"indented, tabs", "  access_drivers\t=\t[\t\"polkit\"\t]\n", `["polkit"]`, "absent"},
	{"after ; on one line", "unix_sock_group = \"libvirt\"; access_drivers = [ \"polkit\" ]\n", `["polkit"]`, "absent"},
	{"; without blanks", `access_drivers=["polkit"];remote_mode="direct"`, `["polkit"]`, "=direct"},
	{"trailing ;", "access_drivers = [ \"polkit\" ];\n", `["polkit"]`, "absent"},
	{"first of two counts (empty first)", "access_drivers = []\naccess_drivers = [ \"polkit\" ]\n", "[]", "absent"},
	{"first of two counts (list first)", "access_drivers = [ \"polkit\" ]\naccess_drivers = []\n", `["polkit"]`, "absent"},
	{"first of two strings counts", "remote_mode = \"direct\"\nremote_mode = \"legacy\"\n", "absent", "=direct"},
	{"commented out", "#access_drivers = [ \"polkit\" ]\naccess_drivers = []\n", "[]", "absent"},
	{"trailing comment", "access_drivers = [ \"polkit\" ] # on purpose\n", `["polkit"]`, "absent"},
	{"comment swallows the rest of the line", "max_workers = 20 # see; access_drivers = [ \"polkit\" ]\n", "absent", "absent"},
	{"comment right after the value", "access_drivers=[\"polkit\"]#x\n", `["polkit"]`, "absent"},
	{"list over lines", "access_drivers = [\n  \"polkit\",\n\n  \"nop\"\n]\n", `["polkit" "nop"]`, "absent"},
	{"list over lines, trailing comma", "access_drivers = [\n  \"polkit\",\n]\n", `["polkit"]`, "absent"},
	{"comma on its own line", "access_drivers = [ \"a\"\n,\n\"b\" ]\n", `["a" "b"]`, "absent"},
	{"comment inside a list", "access_drivers = [\n  \"polkit\", # why\n]\n", "syntax", "syntax"},
	{"commented line inside a list", "access_drivers = [\n# \"polkit\",\n]\n", "syntax", "syntax"},
	{"single quotes", "access_drivers = [ 'polkit' ]\n", `["polkit"]`, "absent"},
	{"triple quotes", "access_drivers = [ \"\"\"polkit\"\"\" ]\n", `["polkit"]`, "absent"},
	{"string, not a list", "access_drivers = \"polkit\"\n", "type", "absent"},
	{"number, not a list", "access_drivers = 1\n", "type", "absent"},
	{"list of a number", "access_drivers = [ 1 ]\n", "type", "absent"},
	{"nested list", "access_drivers = [ [ \"polkit\" ] ]\n", "type", "absent"},
	{"keys are case-sensitive", "ACCESS_DRIVERS = [ \"polkit\" ]\n", "absent", "absent"},
	{"syntax error elsewhere", "access_drivers = []\nlisten_tls = \n", "syntax", "syntax"},
	{"blank lines only", "\n\n", "syntax", "syntax"},
	{"leading blank lines", "\n\naccess_drivers = [ \"polkit\" ]", `["polkit"]`, "absent"},
	{"CR ends statements", "x = 1\raccess_drivers = [ \"polkit\" ]\r", `["polkit"]`, "absent"},
	{"missing separator", "x = 1 access_drivers = [ \"polkit\" ]\n", "syntax", "syntax"},
	{"unterminated string", "access_drivers = [ \"polkit ]\n", "syntax", "syntax"},
	{"string across lines", "remote_mode = \"di\nrect\"\n", "syntax", "syntax"},
	{"unclosed list", "access_drivers = [ \"polkit\"", "syntax", "syntax"},
	{"missing comma", "access_drivers = [ \"a\" \"b\" ]\n", "syntax", "syntax"},
	{"lone comma", "access_drivers = [ , ]\n", "syntax", "syntax"},
	{"double ;", "access_drivers = [];;\n", "syntax", "syntax"},
	{"name with underscore first", "_x = 1\n", "syntax", "syntax"},
	{"assignment on the next line", "access_drivers\n= []\n", "syntax", "syntax"},
	{"value on the next line", "access_drivers =\n[]\n", "syntax", "syntax"},
	{"sign without digits", "x = -\n", "syntax", "syntax"},
	{"signed numbers", "x = -5; y = +5\naccess_drivers = []\n", "[]", "absent"},
	// libvirt 9.0 loads it (the number wraps), 11.x refuses the file; a
	// daemon that refused it is not running, so 9.0's reading is the one
	// that matters.
	{"huge number", "x = 99999999999999999999\n", "absent", "absent"},
	{"mode", "remote_mode = \"legacy\"\n", "absent", "=legacy"},
	{"mode with # and ;", "remote_mode = \"a#b;c\"\n", "absent", "=a#b;c"},
	{"mode single-quoted with comment", "remote_mode = 'direct' # c\n", "absent", "=direct"},
	{"mode with a double quote", "remote_mode = 'a\"b'\n", "absent", "=a\"b"},
	{"mode triple-quoted at end of file", `remote_mode = """direct"""`, "absent", "=direct"},
	{"mode triple-quoted over lines", "remote_mode = \"\"\"a\nb\"\"\"\n", "absent", "=a\nb"},
	{"six quotes at end of file", `remote_mode = """"""`, "syntax", "syntax"},
	{"six quotes then newline", "remote_mode = \"\"\"\"\"\"\n", "absent", "="},
	{"mode as a list", "remote_mode = [ \"direct\" ]\n", "absent", "type"},
	{"mode as a number", "remote_mode = 1\n", "absent", "type"},
}
