// Package input reads host metrics for vigil-agent. Each input lives in the
// file named after it and registers itself in init(); New builds the ones a
// configuration names, and a Runner collects them once per cycle.
//
// Field names are ECS / Metricbeat system module names (specs.md §4);
// fractions (*.pct) are 0..1, except non-normalised CPU .pct, which is 0..cores.
//
//	input            dataset                 dims                             values
//	cpu              system.cpu              -                                system.cpu.cores, system.cpu.{user,system,nice,idle,
//	                                                                          iowait,irq,softirq,steal}.pct and .norm.pct,
//	                                                                          system.cpu.total.pct, .total.norm.pct, host.cpu.usage
//	memory           system.memory           -                                system.memory.{total,free,used.bytes,used.pct,
//	                                                                          actual.free,actual.used.bytes,actual.used.pct,cached,
//	                                                                          swap.total,swap.free,swap.used.bytes,swap.used.pct}
//	load             system.load             -                                system.load.{1,5,15,norm.1,norm.5,norm.15,cores}
//	filesystem       system.filesystem       system.filesystem.{mount_point,  system.filesystem.{total,free,available,used.bytes,
//	                                         device_name,type}                used.pct,files,free_files}
//	                 vigil.agent             -                                vigil.agent.filesystem.hung_mounts
//	diskio           system.diskio           system.diskio.name               system.diskio.{read,write}.{bytes,count,time},
//	                                                                          system.diskio.io.time, system.diskio.io.ops
//	network          system.network          system.network.name              system.network.{in,out}.{bytes,packets,errors,dropped}
//	                 system.network_summary  -                                host.network.{ingress,egress}.{bytes,packets}
//	uptime           system.uptime           -                                system.uptime.duration.ms
//	process_summary  system.process.summary  -                                system.process.summary.{total,running,sleeping,
//	                                                                          stopped,zombie,idle,dead,unknown}
//
// Rate-based values (cpu, host.network.*) need two samples: cpu returns
// ErrNoData on its first cycle and after a counter reset; network sends its
// summary from the second cycle on.
//
// # Hung mounts
//
// The filesystem input never waits more than Options.MountTimeout for a
// mount, and never re-queries a mount whose previous statfs has not returned
// (see filesystemInput). Each cycle it sends vigil.agent.filesystem.hung_mounts,
// the number of mounts currently skipped for that reason (0 when all is well,
// so an alert on it resolves), and logs each hang when it starts and ends.
//
// # Runner metrics
//
//	vigil_agent_input_success{input}              gauge, 1 if the last collection succeeded (ErrNoData too), else 0
//	vigil_agent_input_duration_seconds{input}     gauge, duration of the last collection
//	vigil_agent_input_errors_total{input,reason}  counter, reason = error | timeout | still_running
//
// On reload, a new Runner on the same registry takes the collectors over (see
// NewRunner), and Runner.Stop closes the old inputs that hold resources.
package input
