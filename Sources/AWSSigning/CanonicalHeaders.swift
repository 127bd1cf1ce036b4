/// The canonical headers block and the signed headers list of SigV4.
///
/// Names are lower-cased and sorted; each value is trimmed and its runs of whitespace (line
/// folds included) collapse to one space; values of headers that share a name are joined by
/// `,` in the order they were given.
///
/// See [Create a canonical request](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html#create-canonical-request).
struct CanonicalHeaders {
    /// `name:value\n` for each distinct name, sorted by name.
    let block: [UInt8]
    /// The sorted distinct names joined by `;` (`host;x-amz-date`).
    let signedHeaders: String

    /// A header to sign.
    struct Entry {
        /// The lower-cased name.
        var name: HeaderName
        var value: String
    }

    init(_ entries: [Entry]) {
        // Sort by name; the original position breaks ties so that values keep their order.
        let order = entries.indices.sorted { lhs, rhs in
            let left = entries[lhs].name.bytes
            let right = entries[rhs].name.bytes
            if left != right {
                return left.lexicographicallyPrecedes(right)
            }
            return lhs < rhs
        }
        var block: [UInt8] = []
        block.reserveCapacity(entries.reduce(0) { $0 + $1.name.bytes.count + $1.value.utf8.count + 2 })
        var signed: [UInt8] = []
        signed.reserveCapacity(entries.reduce(0) { $0 + $1.name.bytes.count + 1 })
        var previous: [UInt8]?
        for index in order {
            let entry = entries[index]
            if let previous, previous == entry.name.bytes {
                block.removeLast()  // the "\n" of the same name's line
                block.append(UInt8(ascii: ","))
            } else {
                if previous != nil {
                    signed.append(UInt8(ascii: ";"))
                }
                signed.append(contentsOf: entry.name.bytes)
                block.append(contentsOf: entry.name.bytes)
                block.append(UInt8(ascii: ":"))
                previous = entry.name.bytes
            }
            Self.appendTrimmed(entry.value, to: &block)
            block.append(UInt8(ascii: "\n"))
        }
        self.block = block
        self.signedHeaders = String(decoding: signed, as: UTF8.self)
    }

    /// Appends `value` without leading or trailing whitespace, each inner run of whitespace
    /// (spaces, tabs, line breaks of a folded value) written as one space.
    static func appendTrimmed(_ value: String, to output: inout [UInt8]) {
        var value = value
        value.withUTF8 { bytes in
            output.reserveCapacity(output.count + bytes.count)
            var pendingSpace = false
            var wroteAny = false
            for byte in bytes {
                switch byte {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                    pendingSpace = wroteAny
                default:
                    if pendingSpace {
                        output.append(UInt8(ascii: " "))
                        pendingSpace = false
                    }
                    output.append(byte)
                    wroteAny = true
                }
            }
        }
    }
}

/// A header name in lower case (ASCII), compared byte for byte.
struct HeaderName: Equatable {
    let bytes: [UInt8]

    init(_ name: String) {
        var bytes = Array(name.utf8)
        for index in bytes.indices where bytes[index] >= UInt8(ascii: "A") && bytes[index] <= UInt8(ascii: "Z") {
            bytes[index] |= 0x20
        }
        self.bytes = bytes
    }

    /// Whether this is `name`, which must be lower case.
    func `is`(_ name: String) -> Bool {
        bytes.elementsEqual(name.utf8)
    }

    /// Headers the signer writes itself: a caller's copy is dropped.
    var isOwnedBySigner: Bool {
        `is`("authorization") || `is`("x-amz-date")
    }

    /// Headers left out of the signature because they are hop-by-hop or rewritten on the way
    /// (proxies, load balancers, tracing), so the receiver could not reproduce them.
    var isUnsignable: Bool {
        switch bytes.count {
        case 6: return `is`("expect")
        case 7: return `is`("upgrade")
        case 10: return `is`("connection") || `is`("user-agent")
        case 15: return `is`("x-amzn-trace-id")
        case 17: return `is`("transfer-encoding")
        default: return false
        }
    }
}
