@testable import AWSClients
import NIOCore

/// The HTTP/1.1 answer parser (``HTTP1AnswerParser``): the bytes an AWS endpoint, a credential
/// endpoint or a proxy sends back.
///
/// Input: one byte of settings (bit 0: the answer to a HEAD; the other bits: the size of the
/// pieces the bytes arrive in, 1 to 128), then the bytes of the connection. Answers are read as
/// the transport reads them: one after another while the connection stays reusable, the last
/// one possibly ended by the close.
///
/// Checks: only ``HTTP1Codec/Malformed`` is thrown, and its description quotes no input; the
/// bytes read in pieces give exactly the answers (and the error) they give read at once; a body
/// never exceeds the limit; a status is three digits and never interim.
enum HTTP1AnswerHarness {
    static let target = FuzzTarget("http1-answer", "HTTP/1.1 answers, whole and in pieces", sync: check)

    static let maxBodyBytes = 1 << 16

    struct Answer: Equatable {
        var status: Int
        var headers: [String]
        var body: [UInt8]
        var reusable: Bool
    }

    struct Outcome: Equatable {
        var answers: [Answer] = []
        var error: String?
    }

    static func check(_ input: [UInt8], _ workspace: FuzzWorkspace) throws {
        guard let settings = input.first else { return }
        let isHead = settings & 1 == 1
        let stream = Array(input.dropFirst())
        let whole = try read(stream, isHead: isHead, pieceSize: max(stream.count, 1))
        let pieces = try read(stream, isHead: isHead, pieceSize: Int(settings >> 1) + 1)
        guard whole == pieces else {
            throw InvariantViolation("read whole: \(whole); read in pieces of \(Int(settings >> 1) + 1): \(pieces)")
        }
        for answer in whole.answers {
            guard (200...999).contains(answer.status) else {
                throw InvariantViolation("an answer with status \(answer.status)")
            }
            guard answer.body.count <= maxBodyBytes else {
                throw InvariantViolation("a body of \(answer.body.count) bytes, over the limit of \(maxBodyBytes)")
            }
        }
        if let error = whole.error { try InvariantViolation.checkNoEcho(error, of: stream, what: "the error") }
    }

    /// Every answer the stream holds, fed `pieceSize` bytes at a time, then the close.
    static func read(_ stream: [UInt8], isHead: Bool, pieceSize: Int) throws -> Outcome {
        var outcome = Outcome()
        var parser = HTTP1AnswerParser(isHead: isHead, maxBodyBytes: maxBodyBytes, allocator: ByteBufferAllocator())
        var buffer = ByteBuffer()
        var offset = 0
        do {
            while offset < stream.count {
                let end = min(offset + pieceSize, stream.count)
                buffer.writeBytes(stream[offset..<end])
                offset = end
                while let answer = try parser.parse(&buffer) {
                    outcome.answers.append(Answer(answer))
                    guard answer.reusable else { return outcome }
                }
            }
            if let answer = parser.close() { outcome.answers.append(Answer(answer)) }
        } catch let error as HTTP1Codec.Malformed {
            outcome.error = error.description
        } catch {
            throw InvariantViolation.untyped(error, expected: "HTTP1Codec.Malformed")
        }
        return outcome
    }
}

extension HTTP1AnswerHarness.Answer {
    init(_ answer: HTTP1AnswerParser.Answer) {
        status = answer.status
        headers = answer.headers.map { "\($0.name): \($0.value)" }
        body = Array(answer.body.readableBytesView)
        reusable = answer.reusable
    }
}
