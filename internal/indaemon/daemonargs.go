// Which config file the daemon was given: its own option parser, replayed
// on its command line.

package indaemon

import (
	"errors"
	"strings"
)

// daemonOption is one entry of remote_daemon.c's getopt_long table.
type daemonOption struct {
	long  string
	short byte
	arg   bool // required_argument
}

// daemonOptions is the option table of prog (remote_daemon.c, main: the
// struct option array and optstr).
func daemonOptions(prog string) []daemonOption {
	opts := []daemonOption{
		{"verbose", 'v', false},
		{"daemon", 'd', false},
		{"config", 'f', true},
		{"timeout", 't', true},
		{"pid-file", 'p', true},
		{"version", 'V', false},
		{"help", 'h', false},
	}
	if prog == "libvirtd" {
		opts = append(opts, daemonOption{"listen", 'l', false})
	}
	return opts
}

// daemonArgs is what the daemon's getopt_long loop made of its arguments.
type daemonArgs struct {
	config    string // the last -f/--config
	hasConfig bool
	daemonize bool // -d/--daemon: it chdir("/")ed after reading its config
}

// parseDaemonArgs runs glibc's getopt_long rules over args for prog's
// option table: short options clustered (-vdfPATH) with the argument the
// rest of the word or the next word, long options unique prefixes with
// "=ARG" or the next word, "--" ending options, non-options skipped over
// (GNU permutation). An argument list on which the daemon would have
// printed help or its version, or exited on an error, is an error: such a
// daemon is not running.
func parseDaemonArgs(prog string, args []string) (daemonArgs, error) {
	var a daemonArgs
	opts := daemonOptions(prog)
	var nonOptions []string
	for i := 0; i < len(args); i++ {
		w := args[i]
		var err error
		switch {
		case w == "--":
			nonOptions = append(nonOptions, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(w, "--"):
			i, err = a.longOption(opts, args, i)
		case len(w) > 1 && w[0] == '-':
			i, err = a.shortOptions(opts, args, i)
		default:
			nonOptions = append(nonOptions, w)
		}
		if err != nil {
			return a, err
		}
	}
	// remote_daemon.c's main exits on "unexpected, non-option, command line
	// arguments" (optind != argc), whether getopt permuted them or not.
	if len(nonOptions) > 0 {
		return a, errors.New("its command line has non-option arguments (" + strings.Join(nonOptions, " ") + "), with which it does not start")
	}
	return a, nil
}

// longOption takes the long option args[i] ("--name[=ARG]", ARG else the
// next word) and returns the index of the last word it used.
func (a *daemonArgs) longOption(opts []daemonOption, args []string, i int) (int, error) {
	name, val, hasVal := strings.Cut(args[i][2:], "=")
	o, err := matchLong(opts, name)
	if err != nil {
		return i, err
	}
	switch {
	case o.arg && !hasVal:
		if i+1 >= len(args) {
			return i, errors.New("option --" + o.long + " lacks its argument")
		}
		i++
		val = args[i]
	case !o.arg && hasVal:
		return i, errors.New("option --" + o.long + " takes no argument")
	}
	return i, a.take(o, val)
}

// shortOptions takes the cluster of short options args[i] ("-vdfPATH",
// an argument the rest of the word or the next word) and returns the
// index of the last word it used.
func (a *daemonArgs) shortOptions(opts []daemonOption, args []string, i int) (int, error) {
	w := args[i]
	for j := 1; j < len(w); j++ {
		o, ok := matchShort(opts, w[j])
		if !ok {
			return i, errors.New("unknown option -" + string(w[j]))
		}
		val := ""
		if o.arg {
			if j+1 < len(w) {
				val = w[j+1:]
			} else if i+1 < len(args) {
				i++
				val = args[i]
			} else {
				return i, errors.New("option -" + string(o.short) + " lacks its argument")
			}
			j = len(w)
		}
		if err := a.take(o, val); err != nil {
			return i, err
		}
	}
	return i, nil
}

// take records what option o (with its argument val) tells; the options
// on which the daemon exits at once are errors.
func (a *daemonArgs) take(o daemonOption, val string) error {
	switch o.short {
	case 'f':
		a.config, a.hasConfig = val, true
	case 'd':
		a.daemonize = true
	case 'V', 'h':
		return errors.New("its command line asks for --" + o.long + ", on which it exits at once")
	}
	return nil
}

// matchLong is getopt_long's lookup: an exact name, else the one option
// the name abbreviates; an abbreviation of several is ambiguous.
func matchLong(opts []daemonOption, name string) (daemonOption, error) {
	var found []daemonOption
	for _, o := range opts {
		if o.long == name {
			return o, nil
		}
		if strings.HasPrefix(o.long, name) {
			found = append(found, o)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return daemonOption{}, errors.New("unknown option --" + name)
	}
	return daemonOption{}, errors.New("ambiguous option --" + name)
}

func matchShort(opts []daemonOption, c byte) (daemonOption, bool) {
	for _, o := range opts {
		if o.short == c {
			return o, true
		}
	}
	return daemonOption{}, false
}
