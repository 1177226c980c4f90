// Package checkrun runs Nagios-style plugins and built-in checks for the
// agent, on schedule and on demand (NRPE), and turns their results into
// model.CheckResult with Nagios soft/hard states, plus perfdata as metric
// events.
//
// # Safety model
//
// A plugin is somebody else's program run as the agent's user, often root,
// every minute on every host. It must not be able to hang the agent, fill
// its memory, leave processes behind or be tricked into running something
// else:
//
//   - No shell. Command is an argv, executed directly; Command[0] is an
//     absolute path or is resolved in the agent's PATH once, when the
//     configuration is loaded. A shell runs only with shell: true, and then
//     only the configured script text: on-demand arguments ($ARG1$..) are
//     argv elements, passed to the script as "$1".., never spliced into it.
//     A substituted argument is never split or interpreted, whatever
//     characters it holds.
//   - Own process group. Each run is the leader of a new process group.
//     On timeout the group gets SIGTERM, then SIGKILL after 2s. When the
//     plugin exits, whatever it left running in its group is killed: check
//     plugins have no business leaving daemons. The leader is waited for
//     without being reaped first (waitid WNOWAIT), so the group id cannot
//     have been reused when the group is signalled. Output pipes are read
//     until end-of-file but at most 1s after the group is gone, so a
//     process that escaped the group (setsid) and holds stdout does not
//     stall the run.
//   - Caps. stdout and stderr are each kept up to output_cap (64KiB) and
//     the rest is read and discarded, so the plugin runs to its normal end
//     and keeps its exit code. At most max_concurrent checks (8) run at
//     once, scheduled and on-demand together, and first runs are spread
//     over the interval (at most 30s) after start.
//   - Environment allow-list. A plugin gets only the variables its check
//     lists in env (taken from the agent's environment) and set_env, and a
//     standard system PATH unless one of those sets PATH. The agent's own
//     secrets (collector token in the environment, AWS credentials) never
//     reach plugins by default. The working directory is "/" unless dir
//     says otherwise.
//   - Run-as. user runs a plugin as another user, with that user's primary
//     and supplementary groups, which is only possible, and only allowed,
//     when the agent runs as root.
//
// # Results of misbehaving plugins
//
// The state is the exit code. A plugin that does not report properly is
// UNKNOWN with the reason first in the output (Nagios's wording where it has
// one): it could not be started ("(Return code of 127 is out of bounds -
// plugin may be missing)"), timed out ("plugin timed out after 30s"), was
// killed by a signal ("plugin killed by signal KILL"), exited outside 0..3,
// or printed nothing on stdout ("(No output on stdout) stderr: ...").
// Binary output (NUL bytes) is not shown. A plugin that exited WARNING or
// CRITICAL keeps that state when only its output is unusable: a problem
// it reported is never downgraded to UNKNOWN. Otherwise invalid UTF-8 and
// control characters are replaced by U+FFFD and the result stands. Output
// beyond output_cap is cut at the last whole line (so no number is cut
// short), the state is kept, and the long output ends with a note saying
// how much was dropped. Perfdata items that do not parse are dropped and
// counted; the run is not failed for them.
//
// Every fault is counted in vigil_agent_check_plugin_errors_total{reason}.
package checkrun
