-- tshark/Wireshark: M3UA carried over TCP, as tandem runs it on machines
-- without kernel SCTP. Each message is framed by the length in its common
-- header (RFC 4666 3.1) and handed to Wireshark's own M3UA dissector, which
-- goes on to MTP3 and ISUP. The TCP port comes from TANDEM_M3UA_PORT
-- (default 2905).
--   tshark -X lua_script:tests/tools/m3ua_tcp.lua -r capture.pcap
local m3ua = Dissector.get("m3ua")
local proto = Proto("m3ua_tcp", "M3UA over TCP (length-framed)")

local function pdu_len(tvb, pinfo, offset)
	return tvb(offset + 4, 4):uint()
end

local function dissect_pdu(tvb, pinfo, tree)
	m3ua:call(tvb, pinfo, tree)
	return tvb:len()
end

function proto.dissector(tvb, pinfo, tree)
	dissect_tcp_pdus(tvb, tree, 8, pdu_len, dissect_pdu)
	return tvb:len()
end

DissectorTable.get("tcp.port"):add(tonumber(os.getenv("TANDEM_M3UA_PORT") or "2905"), proto)
