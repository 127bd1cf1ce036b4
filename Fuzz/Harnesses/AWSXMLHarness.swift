@testable import AWSClients
import Foundation

/// The XML reader (``XMLElementTree``): S3 and STS answers and XML error bodies.
///
/// Input: the document.
///
/// Checks: only ``XMLElementTree/ParseError`` is thrown; no element is deeper than the limit; a
/// tree whose names are plain words, written back as XML (text escaped) and read again, is the
/// same tree; an error body gives a normalised code.
enum AWSXMLHarness {
    static let target = FuzzTarget("aws-xml", "S3/STS XML answers and XML errors", sync: check)

    static func check(_ input: [UInt8], _ workspace: FuzzWorkspace) throws {
        let document = Data(input)
        let tree: XMLElementTree
        do {
            tree = try XMLElementTree.parse(document)
        } catch is XMLElementTree.ParseError {
            return try errorBody(document)
        } catch {
            throw InvariantViolation.untyped(error, expected: "XMLElementTree.ParseError")
        }
        guard depth(tree) <= XMLElementTree.maxDepth else {
            throw InvariantViolation("a tree \(depth(tree)) elements deep, over the limit of \(XMLElementTree.maxDepth)")
        }
        if hasPlainNames(tree) {
            let written = Data(write(tree).utf8)
            let again: XMLElementTree
            do {
                again = try XMLElementTree.parse(written)
            } catch {
                throw InvariantViolation("a tree written back could not be read again: \(error)")
            }
            guard again == tree else { throw InvariantViolation("a tree changed when written back and read again") }
        }
        try errorBody(document)
    }

    static func errorBody(_ document: Data) throws {
        for service in [AWSService.s3, .sts] {
            let error = ErrorParsing.parse(HTTPReply(status: 400, headers: [], body: document), service: service, operation: "Fuzz")
            if let code = error.code, code.isEmpty || code.contains("#") || code.contains(":") {
                throw InvariantViolation("an error code not normalised: '\(code)'")
            }
        }
    }

    static func depth(_ tree: XMLElementTree) -> Int {
        1 + (tree.children.map(depth).max() ?? 0)
    }

    /// Names of letters, digits, `_`, `-` and `.`: names that mean the same written back.
    static func hasPlainNames(_ tree: XMLElementTree) -> Bool {
        let plain = { (byte: UInt8) in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || "_-.".utf8.contains(byte)
        }
        return !tree.name.isEmpty && tree.name.utf8.allSatisfy(plain) && tree.children.allSatisfy(hasPlainNames)
    }

    /// The element as XML: its text first, then its children (the reader keeps one text per element).
    static func write(_ tree: XMLElementTree) -> String {
        "<\(tree.name)>" + XMLElementTree.escape(tree.text) + tree.children.map(write).joined() + "</\(tree.name)>"
    }
}
