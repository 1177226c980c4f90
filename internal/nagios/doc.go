// Package nagios implements the Nagios / Monitoring Plugins API that both
// binaries share: plugin states and exit codes, threshold ranges, plugin
// output and perfdata. It is pure parsing and formatting, with no I/O, so the
// agent's check runner, the built-in checks, the NRPE server and the
// collector's pollers all read and write plugin output the same way.
//
// The reference is the monitoring-plugins developer guidelines (specs.md
// section 2). Where they are silent or loose this package decides as follows,
// always towards "never invent data, never lose it silently":
//
//   - The state comes from the exit code only, never from the text; exit
//     codes outside 0..3 (137 after SIGKILL, -1 when the process did not
//     start) are UNKNOWN, as nrpe treats them.
//   - Numbers are decimal, with an optional sign, fraction and exponent
//     ("1e-05", which Python plugins print). The guidelines allow only
//     [-0-9.], but rejecting a number that means exactly one thing would drop
//     real data. "inf", "nan", hex and digit separators are rejected.
//   - Range syntax is strict: an empty start before ':' (":10", ":") is an
//     error, not the C library's silent 0; "~" is only a start.
//   - Units are normalised so stored values compare across plugins: time to
//     seconds, sizes to bytes (KB = KiB = 1024, as the guidelines say), "%"
//     and "c" kept. Any other unit is kept verbatim, case included, because
//     case carries meaning ("Mb" is not "MB", "dBm" is not "dbm").
//   - warn, crit, min and max are written without a unit; they are in the
//     value's unit and are scaled with it. For "%" the implicit 0..100 is not
//     filled in: Min and Max say only what the plugin printed.
//   - A bad perfdata item is reported with its text and reason and skipped;
//     the items around it survive. An unterminated quote swallows the rest of
//     the perfdata, because resynchronising would invent labels.
//   - Perfdata from the first line and from the long-output lines is joined
//     with a space (as Icinga 2 does), not glued together as Nagios 3 did,
//     so a plugin that forgets the trailing space does not corrupt an item.
package nagios
