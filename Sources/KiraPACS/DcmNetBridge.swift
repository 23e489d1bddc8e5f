import CDcmNet
import CDcmtk
import Foundation

/// The one file that hands pointers to CDcmNet. Each call blocks for one association.
enum DcmNetBridge {
    struct Transfer {
        var received: Int
        var failed: Int
    }

    static func find(_ node: PACSNode, level: String, keys: [(tag: String, value: String)]) throws -> [[String: String]] {
        final class Sink {
            var rows: [[String: String]] = []
        }
        let sink = Sink()
        var matches = 0
        try call(node, keys: keys) { peer, tags, values, msg, len in
            kira_net_find(peer, level, tags, values, keys.count, { ctx, match, tag, value in
                let sink = Unmanaged<Sink>.fromOpaque(ctx!).takeUnretainedValue()
                while sink.rows.count <= match { sink.rows.append([:]) }
                sink.rows[match][String(cString: tag!)] = String(cString: value!).trimmingCharacters(in: .whitespaces)
            }, Unmanaged.passUnretained(sink).toOpaque(), &matches, msg, len)
        }
        withExtendedLifetime(sink) {}
        while sink.rows.count < matches { sink.rows.append([:]) }
        return sink.rows
    }

    static func get(_ node: PACSNode, level: String, keys: [(tag: String, value: String)], into dir: URL) throws -> Transfer {
        var received = 0, failed = 0
        do {
            try call(node, keys: keys) { peer, tags, values, msg, len in
                kira_net_get(peer, level, tags, values, keys.count, dir.path, &received, &failed, msg, len)
            }
        } catch let PACSError.failed(n, r, _) {
            throw PACSError.failed(node: n, reason: r, received: received)
        }
        return Transfer(received: received, failed: failed)
    }

    static func move(_ node: PACSNode, level: String, keys: [(tag: String, value: String)], port: Int, into dir: URL) throws -> Transfer {
        var received = 0, failed = 0
        do {
            try call(node, keys: keys) { peer, tags, values, msg, len in
                kira_net_move(peer, level, tags, values, keys.count, UInt16(port), dir.path, &received, &failed, msg, len)
            }
        } catch let PACSError.failed(n, r, _) {
            throw PACSError.failed(node: n, reason: r, received: received)
        }
        return Transfer(received: received, failed: failed)
    }

    static func store(_ node: PACSNode, files: [URL]) throws -> Transfer {
        var sent = 0, failed = 0
        let paths = files.map { strdup($0.path) }
        defer { paths.forEach { free($0) } }
        let constPaths = paths.map { UnsafePointer<CChar>($0) }
        do {
            try call(node, keys: []) { peer, _, _, msg, len in
                constPaths.withUnsafeBufferPointer { kira_net_store(peer, $0.baseAddress, files.count, &sent, &failed, msg, len) }
            }
        } catch let PACSError.failed(n, r, _) {
            throw PACSError.failed(node: n, reason: r, received: sent)
        }
        return Transfer(received: sent, failed: failed)
    }

    private typealias Body = (
        UnsafePointer<kira_net_peer>, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<UnsafePointer<CChar>?>?,
        UnsafeMutablePointer<CChar>, Int
    ) -> Int32

    /// Sets dcmtk up (dictionary, silent logger: CDcmtk owns both), lays out the peer and the
    /// keys as C strings, runs `body` and turns its status into a PACSError naming the node.
    private static func call(_ node: PACSNode, keys: [(tag: String, value: String)], _ body: Body) throws {
        kira_dcm_initialize()
        let names: [String] = [node.host, node.callingAET, node.calledAET]
        let owned = names.map { strdup($0)! }
        let tags = keys.map { strdup($0.tag) }, values = keys.map { strdup($0.value) }
        defer { (owned + tags.compactMap { $0 } + values.compactMap { $0 }).forEach { free($0) } }
        var peer = kira_net_peer(host: UnsafePointer(owned[0]), port: UInt16(node.port), calling_aet: UnsafePointer(owned[1]),
                                 called_aet: UnsafePointer(owned[2]),
                                 timeout_seconds: Int32(node.timeout))
        var msg = [CChar](repeating: 0, count: 1024)
        let tagPtrs = tags.map { UnsafePointer<CChar>($0) }, valuePtrs = values.map { UnsafePointer<CChar>($0) }
        let status = tagPtrs.withUnsafeBufferPointer { t in
            valuePtrs.withUnsafeBufferPointer { v in
                msg.withUnsafeMutableBufferPointer { m in
                    withUnsafePointer(to: &peer) { body($0, t.baseAddress, v.baseAddress, m.baseAddress!, m.count) }
                }
            }
        }
        let text = String(decoding: msg.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch Int(status) {
        case Int(KIRA_NET_OK): return
        case Int(KIRA_NET_UNREACHABLE): throw PACSError.unreachable(node: node.description, reason: text)
        case Int(KIRA_NET_REFUSED), Int(KIRA_NET_NO_CONTEXT): throw PACSError.refused(node: node.description, reason: text)
        case Int(KIRA_NET_FAILED): throw PACSError.failed(node: node.description, reason: text, received: 0)
        default: throw PACSError.local(text)
        }
    }
}
