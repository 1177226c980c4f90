// Package nrpe is the wire codec of the NRPE protocol (Nagios Remote Plugin
// Executor) as stock nrpe and check_nrpe 4.x speak it: packet versions 2
// (fixed 1036 bytes), 3 and 4 (variable length), CRC-32 checking, and the
// query syntax `command!arg1!arg2`. It does no I/O of its own beyond reading
// one packet from a stream: the server (agent/nrpe) and the client (the
// collector's poller) own connections, TLS and timeouts.
//
// Wire layout (all integers big-endian), see specs.md section 1:
//
//	v2:    version(2) type(2) crc32(4) result(2) buffer[1024] pad(2)  = 1036 bytes
//	v3/v4: version(2) type(2) crc32(4) result(2) alignment(2) buffer_length(4) buffer[n]
//	       v4 total = 16+n; v3 total = 19+n (3 zero bytes trail the buffer)
//
// The CRC is the standard IEEE CRC-32 over the whole packet as sent, with
// the crc32 field (and, on receive, the alignment field) set to zero.
package nrpe

import "errors"

// Packet types.
const (
	QueryPacket    = 1 // QUERY_PACKET: client to daemon
	ResponsePacket = 2 // RESPONSE_PACKET: daemon to client
)

// Packet versions. Version 1 is long gone and not supported by anyone.
const (
	Version2 = 2 // fixed 1024-byte buffer; understood by every NRPE and NSClient++
	Version3 = 3 // variable length, but its size arithmetic leaves 3 stray bytes
	Version4 = 4 // nrpe 4.0+ default: version 3 with the size arithmetic fixed
)

// Result codes a response carries: the Nagios plugin states.
const (
	StateOK       = 0
	StateWarning  = 1
	StateCritical = 2
	StateUnknown  = 3
)

// Version 2 layout.
const (
	// V2BufferSize is MAX_PACKETBUFFER_LENGTH: the buffer of a v2 packet,
	// including its terminating NUL.
	V2BufferSize = 1024
	// V2MaxText is the longest text a v2 packet carries: nrpe forces
	// buffer[1023] to NUL, so longer plugin output is cut to 1023 bytes.
	V2MaxText = V2BufferSize - 1
	// V2PacketSize is sizeof(v2_packet): a 10-byte header, the buffer and 2
	// bytes of compiler padding (the struct holds a u_int32_t, so its size
	// is rounded up to a multiple of 4). Both padding bytes are covered by
	// the CRC.
	V2PacketSize = 1036
)

// Header layout: byte offsets of the fields common to all versions, then of
// the v3/v4 extension.
const (
	OffVersion      = 0  // int16 packet_version
	OffType         = 2  // int16 packet_type
	OffCRC          = 4  // uint32 crc32_value
	OffResult       = 8  // int16 result_code
	CommonHeaderLen = 10 // what every reader reads first, then dispatches on the version
	OffAlignment    = 10 // int16, v3/v4 only
	OffBufferLength = 12 // int32, v3/v4 only
	OffV2Buffer     = CommonHeaderLen
	// V3HeaderLen is the v3/v4 header: the common header, alignment (always
	// sent as 0) and buffer_length (int32, counts the terminating NUL).
	V3HeaderLen = 16
	// V3TrailerLen is how many zero bytes a v3 packet carries after its
	// buffer (sizeof(v3_packet) - 1 + n = 19 + n). Readers never consume
	// them; a server that answers a v3 query should drain them before it
	// closes, or the kernel may reset the connection under its answer.
	V3TrailerLen = 3
)

// Buffer bounds.
const (
	// MaxBuffer is the largest buffer_length nrpe and check_nrpe accept
	// (both reject < 0 or > 65536), and the default bound of Decode.
	MaxBuffer = 65536
	// V3MaxText is the longest text a v3/v4 packet carries: MaxBuffer less
	// the terminating NUL. The daemon captures at most 64 KiB - 1 of plugin
	// output for v3/v4 answers.
	V3MaxText = MaxBuffer - 1
	// MinQuerySize is the smallest v3/v4 query check_nrpe sends: it pads
	// requests with zeros to sizeof(v2_packet), so that a v2-only daemon,
	// which reads exactly 1036 bytes, gets a whole packet and rejects its
	// version at once instead of waiting for bytes that never come.
	MinQuerySize = V2PacketSize
)

// Query constants.
const (
	// HelloCommand is NRPE_HELLO_COMMAND: check_nrpe without -c sends it,
	// and the daemon answers "NRPE v<version>" with result 0.
	HelloCommand = "_NRPE_CHECK"
	// MaxCommandArguments is MAX_COMMAND_ARGUMENTS: $ARG1$..$ARG16$.
	MaxCommandArguments = 16
)

// Errors returned (wrapped, with the offending values) by Encode, Decode and
// the query helpers; test for them with errors.Is. A short stream is
// io.ErrUnexpectedEOF, and a stream that ends before the first byte io.EOF.
var (
	ErrVersion   = errors.New("unsupported nrpe packet version")
	ErrType      = errors.New("invalid nrpe packet type")
	ErrBadCRC    = errors.New("nrpe packet crc32 mismatch")
	ErrTooLarge  = errors.New("nrpe buffer too large")
	ErrBadLength = errors.New("invalid nrpe buffer_length")
	ErrNUL       = errors.New("nrpe text contains a NUL byte")
	ErrTrailing  = errors.New("trailing bytes after nrpe packet")
	ErrQuery     = errors.New("invalid nrpe query")
)

// Packet is one decoded NRPE packet.
type Packet struct {
	Version int // Version2, Version3 or Version4
	Type    int // QueryPacket or ResponsePacket
	// ResultCode is the plugin state in responses. In v2 queries check_nrpe
	// leaves it random (0x3030..0x7777), so servers must ignore it there.
	ResultCode int16
	// Buffer is the text: the query or the plugin output, without the NUL
	// terminator or the padding after it. It never contains a NUL.
	Buffer []byte
}

// MaxText is the longest text a packet of this version carries: 1023 bytes
// for v2 (output beyond that is lost, which is why v4 exists), 65535 for v3
// and v4. It is 0 for an unknown version.
func MaxText(version int) int {
	switch version {
	case Version2:
		return V2MaxText
	case Version3, Version4:
		return V3MaxText
	}
	return 0
}
