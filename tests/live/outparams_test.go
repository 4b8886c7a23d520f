//go:build live

package live

// Every error path's out-parameters, with sentinels, both libraries
// (tests/c/outparams.c).

import (
	"strconv"
	"testing"
)

// What each scenario of tests/c/outparams must leave in the out-parameters
// (the table of libvirt's behaviour is that program's header comment),
// with the return value and error code. Both libraries must give exactly
// the same line (both()); these pin the facts down besides, so that a
// fault shared by both runs still fails.
var outParamsWant = map[string]map[string]string{
	// virDomainLxcOpenNamespace: untouched before the remote driver, NULL
	// on every failure after it.
	"open_null_domain":    {"ret": "-1", "code": "7", "fdlist": "untouched"},
	"open_bogus_domain":   {"ret": "-1", "code": "7", "fdlist": "untouched"},
	"open_null_fdlist":    {"ret": "-1", "code": "8", "str2": "fdlist", "fdlist": "none"},
	"open_readonly":       {"ret": "-1", "code": "29", "fdlist": "untouched"},
	"open_readonly_mt":    {"ret": "-1", "code": "29", "fdlist": "untouched"},
	"open_readonly_flags": {"ret": "-1", "code": "29", "fdlist": "untouched"},
	"open_flags":          {"ret": "-1", "code": "8", "domain": "17", "fdlist": "NULL"},
	"open_flags_mt":       {"ret": "-1", "code": "8", "domain": "17", "fdlist": "NULL"},
	"open_inactive":       {"ret": "-1", "code": "55", "fdlist": "NULL"},
	"open_inactive_mt":    {"ret": "-1", "code": "55", "fdlist": "NULL"},
	"open_gone":           {"ret": "-1", "code": "42", "fdlist": "NULL"},
	"open_gone_mt":        {"ret": "-1", "code": "42", "fdlist": "NULL"},
	"open_gone_flags":     {"ret": "-1", "code": "8", "domain": "17", "fdlist": "NULL"},
	"open_success":        {"ret": "6", "fdlist": "set", "n": "6"},
	"open_success_mt":     {"ret": "6", "fdlist": "set", "n": "6"},

	// virDomainLxcEnterNamespace: both lists written only when both are
	// given and flags are 0; reset (fds closed) on a failure after that.
	"enter_flags_both":         {"ret": "-1", "code": "8", "str2": "flags", "nold": "untouched", "old": "untouched", "leaked": "0"},
	"enter_flags_count_only":   {"ret": "-1", "code": "8", "str2": "flags", "nold": "untouched", "old": "none", "leaked": "0"},
	"enter_flags_list_only":    {"ret": "-1", "code": "8", "str2": "flags", "nold": "none", "old": "untouched", "leaked": "0"},
	"enter_zero_both":          {"ret": "-1", "code": "8", "str2": "nfdlist", "nold": "0", "old": "NULL", "leaked": "0"},
	"enter_zero_count_only":    {"ret": "-1", "code": "8", "str2": "nfdlist", "nold": "untouched", "old": "none", "leaked": "0"},
	"enter_ebadf_both":         {"ret": "-1", "code": "38", "int1": "9", "nold": "0", "old": "NULL", "leaked": "0"},
	"enter_ebadf_count_only":   {"ret": "-1", "code": "38", "int1": "9", "nold": "untouched", "old": "none", "leaked": "0"},
	"enter_ebadf_list_only":    {"ret": "-1", "code": "38", "int1": "9", "nold": "none", "old": "untouched", "leaked": "0"},
	"enter_ebadf_none":         {"ret": "-1", "code": "38", "int1": "9", "nold": "none", "old": "none", "leaked": "0"},
	"enter_eperm_both":         {"ret": "-1", "code": "38", "int1": "1", "nold": "0", "old": "NULL", "leaked": "0"},
	"enter_eperm_list_only":    {"ret": "-1", "code": "38", "int1": "1", "nold": "none", "old": "untouched", "leaked": "0"},
	"enter_partial_both":       {"ret": "-1", "code": "38", "int1": "9", "nold": "0", "old": "NULL", "leaked": "0", "uts": "joined"},
	"enter_partial_count_only": {"ret": "-1", "code": "38", "int1": "9", "nold": "untouched", "old": "none", "leaked": "0", "uts": "joined"},
	"enter_success_both":       {"ret": "0", "nold": "6", "old": "list", "oldfds": "6", "leaked": "0"},
	"enter_success_count_only": {"ret": "0", "nold": "untouched", "old": "none", "leaked": "0"},
	"enter_success_list_only":  {"ret": "0", "nold": "none", "old": "untouched", "leaked": "0"},

	// virDomainLxcEnterSecurityLabel: untouched when flags, model or label
	// are refused, zeroed first on every other path.
	"label_flags":                   {"ret": "-1", "code": "8", "str2": "flags", "oldlabel": "untouched"},
	"label_flags_null_model":        {"ret": "-1", "code": "8", "str2": "flags", "oldlabel": "untouched"},
	"label_null_model":              {"ret": "-1", "code": "8", "str2": "model", "oldlabel": "untouched"},
	"label_null_label":              {"ret": "-1", "code": "8", "str2": "label", "oldlabel": "untouched"},
	"label_none":                    {"ret": "0", "oldlabel": "zero"},
	"label_unknown_model":           {"ret": "-1", "code": "74", "oldlabel": "zero"},
	"label_empty_model":             {"ret": "-1", "code": "74", "oldlabel": "zero"},
	"label_apparmor":                {"ret": "-1", "code": "38", "oldlabel": "zero"},
	"label_apparmor_no_oldlabel":    {"ret": "-1", "code": "38", "oldlabel": "none"},
	"label_selinux":                 {"ret": "-1", "code": "38", "oldlabel": "zero"},
	"label_selinux_no_oldlabel":     {"ret": "-1", "code": "38", "oldlabel": "none"},
	"label_selinux_context":         {"ret": "-1", "code": "38", "int1": "2", "oldlabel": "set", "label": "system_u:system_r:lxcgo_fake_t:s0", "label_len": "33", "tail": "zero", "enforcing": "-1"},
	"label_selinux_context_newline": {"ret": "-1", "code": "38", "int1": "2", "oldlabel": "set", "label": `system_u:system_r:lxcgo_fake_t:s0\n`, "label_len": "34", "tail": "zero", "enforcing": "-1"},

	// virDomainLxcEnterCGroup: no out-parameter; the checks in order, and
	// the caller's cgroups unchanged by each error.
	"cgroup_null_domain":    {"ret": "-1", "code": "7", "changed": "no"},
	"cgroup_bogus_domain":   {"ret": "-1", "code": "7", "changed": "no"},
	"cgroup_readonly":       {"ret": "-1", "code": "29", "changed": "no"},
	"cgroup_readonly_flags": {"ret": "-1", "code": "29", "changed": "no"},
	"cgroup_flags":          {"ret": "-1", "code": "8", "str2": "flags", "changed": "no"},
	"cgroup_bad_id":         {"ret": "-1", "code": "38", "domain": "54", "int1": "2", "msg": "Unable to open '/proc/<badid>/cgroup': No such file or directory", "changed": "no"},
	"cgroup_bad_id_flags":   {"ret": "-1", "code": "8", "str2": "flags", "changed": "no"},
	"cgroup_gone":           {"ret": "0", "changed": "no"},
}

// The deliberate differences: what each library does there.
var outParamsDiffs = map[string]struct{ ours, sys map[string]string }{
	// libvirt dispatches the error to domain->conn: a NULL domain crashes
	// it. Ours reports, lists untouched (flags are checked first) or reset.
	"diff_enter_flags_null_domain": {
		ours: map[string]string{"ret": "-1", "code": "8", "str2": "flags", "cb": "none",
			"nold": "untouched", "old": "untouched", "leaked": "0"},
	},
	"diff_enter_ebadf_null_domain_both": {
		ours: map[string]string{"ret": "-1", "code": "38", "int1": "9",
			"nold": "0", "old": "NULL", "leaked": "0"},
	},
	// libvirt reads fdlist[0] of a NULL fdlist; ours refuses it and resets
	// the old lists, closing their fds.
	"diff_enter_null_fdlist_both": {
		ours: map[string]string{"ret": "-1", "code": "8", "str2": "fdlist",
			"nold": "0", "old": "NULL", "leaked": "0"},
	},
	// libvirt ignores setns()'s EINVAL and keeps the lists; ours fails
	// (header: Differs) and resets them like every other failure.
	"diff_enter_devnull_both": {
		ours: map[string]string{"ret": "-1", "code": "38", "int1": "22",
			"nold": "0", "old": "NULL", "leaked": "0"},
		sys: map[string]string{"ret": "0", "nold": "6", "old": "list", "oldfds": "6", "leaked": "0"},
	},
	// libselinux reads at most a page less one byte: libvirt returns a
	// context of 4096 bytes or more cut to 4095 as if it were whole. Ours
	// returns one of 4096 whole and refuses a longer one, label zeroed.
	"diff_label_selinux_context_page": {
		ours: map[string]string{"ret": "-1", "code": "38", "int1": "2", "oldlabel": "set",
			"label_len": "4096", "tail": "none", "enforcing": "-1"},
		sys: map[string]string{"ret": "-1", "code": "38", "int1": "2", "oldlabel": "set",
			"label_len": "4095", "tail": "zero", "enforcing": "-1"},
	},
	"diff_label_selinux_context_long": {
		ours: map[string]string{"ret": "-1", "code": "1", "domain": "0",
			"str2":     "security label exceeds maximum length: " + strconv.Itoa(labelMax),
			"oldlabel": "zero"},
		sys: map[string]string{"ret": "-1", "code": "38", "int1": "2", "oldlabel": "set",
			"label_len": "4095", "tail": "zero", "enforcing": "-1"},
	},
}

// labelMax is the longest label virSecurityLabel holds
// (VIR_SECURITY_LABEL_BUFLEN - 1).
const labelMax = 4096

// crashed is the line tc.h prints for a scenario killed by SIGSEGV.
const crashed = "crashed signal=11"

func TestOutParams(t *testing.T) {
	ours, sys := both(t, "outparams")

	if len(ours.order) != len(outParamsWant)+len(outParamsDiffs) {
		t.Errorf("%d scenarios, want %d", len(ours.order), len(outParamsWant)+len(outParamsDiffs))
	}
	for _, name := range ours.order {
		_, same := outParamsWant[name]
		_, diff := outParamsDiffs[name]
		if !same && !diff {
			t.Errorf("scenario %s has no expectation", name)
		}
	}
	for name, want := range outParamsWant {
		expect(t, "ours/"+name, fields(ours.lines[name]), want)
		expect(t, "system/"+name, fields(sys.lines[name]), want)
	}
	for name, d := range outParamsDiffs {
		expect(t, "ours/"+name, fields(ours.lines[name]), d.ours)
		if d.sys == nil {
			if got := sys.lines[name]; got != crashed {
				t.Errorf("system/%s: %q, expected libvirt's known crash (%s)", name, got, crashed)
			}
			continue
		}
		expect(t, "system/"+name, fields(sys.lines[name]), d.sys)
	}
}
