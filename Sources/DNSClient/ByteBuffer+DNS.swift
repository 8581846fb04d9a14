import NIOCore

extension ByteBuffer {
    /// Writes a name uncompressed. `DNSName` guarantees its limits, so this cannot fail.
    mutating func writeDNSName(_ name: DNSName) {
        for label in name.labels {
            writeInteger(UInt8(label.count))
            writeBytes(label)
        }
        writeInteger(UInt8(0))
    }

    mutating func writeDNSRecord(_ record: DNSResourceRecord) throws(DNSEncodingError) {
        writeDNSName(record.name)
        writeInteger(record.type.rawValue)
        writeInteger(record.recordClass.rawValue)
        writeInteger(record.ttl)
        try writeRDATA(type: record.type) { (rdata: inout ByteBuffer) throws(DNSEncodingError) in
            switch record.data {
            case .a(let address):
                rdata.writeInteger(address.rawValue)
            case .aaaa(let address):
                rdata.writeInteger(address.high)
                rdata.writeInteger(address.low)
            case .txt(let txt):
                for string in txt.characterStrings {
                    guard string.count <= 255 else { throw .characterStringTooLong(length: string.count) }
                    rdata.writeInteger(UInt8(string.count))
                    rdata.writeBytes(string)
                }
            case .mx(let mx):
                rdata.writeInteger(mx.preference)
                rdata.writeDNSName(mx.exchange)
            case .cname(let name), .ns(let name):
                rdata.writeDNSName(name)
            case .soa(let soa):
                rdata.writeDNSName(soa.primaryNameServer)
                rdata.writeDNSName(soa.responsibleMailbox)
                for value in [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum] {
                    rdata.writeInteger(value)
                }
            case .unknown(_, let data):
                rdata.writeBytes(data)
            }
        }
    }

    mutating func writeOPT(_ edns: DNSEDNS) throws(DNSEncodingError) {
        writeDNSName(.root)
        writeInteger(DNSRecordType.opt.rawValue)
        writeInteger(edns.udpPayloadSize)
        writeInteger(UInt32(edns.extendedResponseCode) << 24 | UInt32(edns.version) << 16 | (edns.dnssecOK ? 0x8000 : 0))
        try writeRDATA(type: .opt) { (rdata: inout ByteBuffer) throws(DNSEncodingError) in
            for option in edns.options {
                guard option.data.count <= Int(UInt16.max) else { throw .rdataTooLong(type: .opt, length: option.data.count) }
                rdata.writeInteger(option.code)
                rdata.writeInteger(UInt16(option.data.count))
                rdata.writeBytes(option.data)
            }
        }
    }

    /// Writes RDLENGTH and the RDATA that `body` produces.
    private mutating func writeRDATA(
        type: DNSRecordType, _ body: (inout ByteBuffer) throws(DNSEncodingError) -> Void
    ) throws(DNSEncodingError) {
        var rdata = ByteBuffer()
        try body(&rdata)
        guard rdata.readableBytes <= Int(UInt16.max) else { throw .rdataTooLong(type: type, length: rdata.readableBytes) }
        writeInteger(UInt16(rdata.readableBytes))
        writeBuffer(&rdata)
    }
}
