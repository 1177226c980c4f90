// Package nrpe is the agent's NRPE server: stock check_nrpe (Nagios,
// Icinga, Naemon) queries vigil-agent as it queried nrpe, and gets answers
// byte-compatible with nrpe 4.1's. Commands run the agent's configured
// checks; nothing ever passes through a shell.
//
// # Protocol
//
// One query, one answer, one connection. Queries of packet version 2, 3
// and 4 are answered in the version they came in: v2 carries at most 1023
// bytes of output (the rest is cut, as nrpe does), v3 and v4 up to 65535.
// nrpe 4.1 itself refuses v3 (check_nrpe -3 then falls back to v2); we
// answer it. Packets that do not decode (CRC, version, type, length) and
// empty queries are dropped without an answer, as nrpe drops them.
//
// The server answers these itself, in nrpe's words where nrpe has words:
//
//	_NRPE_CHECK (check_nrpe without -c)  "NRPE v4.1.0 (vigil-agent VERSION)"  OK
//	unknown command                      "NRPE: Command 'x' not defined"         UNKNOWN
//	command_timeout exceeded             "NRPE: Command timed out after N seconds" UNKNOWN
//
// Where nrpe closes the connection without a word and check_nrpe prints a
// baffling "Receive header underflow", the server answers UNKNOWN with the
// reason instead (the exit code, 3, is what check_nrpe gives either way):
// arguments while allow_arguments is false, arguments to a command that
// declares none, arguments that fail their declared type or pattern, and
// forbidden characters (nrpe's nasty_metachars plus '"', and "$(").
//
// # Security
//
// allowed_hosts is checked on accept, before a byte is read; a refused
// connection is reset. max_connections bounds the connections served at
// once. connection_timeout bounds the TLS handshake plus reading the query,
// and separately writing the answer; command_timeout bounds the command.
// Every refusal and failure is logged (with the remote address and a
// reason, never argument values, which may be credentials) and counted in
// vigil_agent_nrpe_refusals_total{reason}; every connection is counted in
// vigil_agent_nrpe_requests_total{result}.
//
// Arguments (nrpe's dont_blame_nrpe) are off by default. When on, only
// commands that declare params take them; the count must match and each
// argument must pass its type (int, float, range, path, string) and, when
// given, its pattern, matched against the whole argument. A string param
// must have a pattern and never starts with '-' (it would read as an
// option). Each argument reaches the check as one argv element.
//
// # TLS
//
// Stock nrpe's default TLS is anonymous Diffie-Hellman (ADH), which Go's
// crypto/tls does not implement (no anonymous and no finite-field DHE
// suites). The server therefore needs a certificate (tls.cert_file,
// tls.key_file; self-signed is fine) or an explicit plaintext: true. Debian's
// check_nrpe negotiates with it unchanged: it offers the normal ECDHE suites
// besides ADH, and verifies the certificate only when given -A. With
// tls.client_ca_file, clients must present a certificate signed by that CA
// (check_nrpe 4.x -C/-K). MIGRATION.md maps nrpe.cfg to this package's
// configuration.
package nrpe
