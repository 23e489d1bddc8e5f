import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real Orthanc (Debian's `orthanc` and `orthanc-dicomweb`, installed by `make peers`) run
/// as a foreground child for one test: configuration, storage and log in a temporary
/// folder, DICOM and HTTP on free ports of 127.0.0.1, C-FIND/C-GET/C-MOVE allowed for
/// `callingAET`, that AE title registered as C-MOVE destination at `movePort`, the DICOMweb
/// plugin loaded. `stop()` (also run by deinit) ends it by process id: SIGTERM, SIGKILL after 5 s.
public final class OrthancServer: @unchecked Sendable {
    public static let executable = URL(fileURLWithPath: "/usr/sbin/Orthanc")
    public static let dicomWebPlugin = URL(fileURLWithPath: "/usr/share/orthanc/plugins/libOrthancDicomWeb.so")
    public static var available: Bool {
        FileManager.default.isExecutableFile(atPath: executable.path) && FileManager.default.fileExists(atPath: dicomWebPlugin.path)
    }

    public let aet = "ORTHANC"
    public let callingAET: String
    public let dicomPort: Int
    public let httpPort: Int
    public let movePort: Int
    public let folder: URL
    public var pid: Int32 { process.processIdentifier }
    public var dicomWebURL: String { "http://127.0.0.1:\(httpPort)/dicom-web" }
    private let process = Process()
    private var stopped = false

    public init(callingAET: String = "KIRA") throws {
        self.callingAET = callingAET
        folder = try TestPaths.temporaryDirectory("kira-orthanc")
        // Three distinct free ports; each is released just before Orthanc (or Kira) binds it.
        let ports = try freePorts(3)
        (dicomPort, httpPort, movePort) = (ports[0], ports[1], ports[2])
        let config: [String: Any] = [
            "Name": "KiraTest",
            "StorageDirectory": folder.appendingPathComponent("storage").path,
            "IndexDirectory": folder.appendingPathComponent("index").path,
            "StorageCompression": false,
            "DicomAet": aet,
            "DicomPort": dicomPort,
            "HttpPort": httpPort,
            "RemoteAccessAllowed": false,
            "AuthenticationEnabled": false,
            "DicomCheckCalledAet": true,
            "DicomCheckModalityHost": false,
            "DicomAlwaysAllowEcho": true,
            "DicomAlwaysAllowStore": true,
            "DicomModalities": ["kira": ["AET": callingAET, "Host": "127.0.0.1", "Port": movePort,
                                         "AllowEcho": true, "AllowFind": true, "AllowGet": true, "AllowMove": true, "AllowStore": true]],
            "Plugins": [OrthancServer.dicomWebPlugin.path],
            "DicomWeb": ["Enable": true, "Root": "/dicom-web/"],
            "DicomScuTimeout": 10,
            "ConcurrentJobs": 1,
            "SaveJobs": false,
        ]
        let configURL = folder.appendingPathComponent("orthanc.json")
        try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted]).write(to: configURL)
        let log = folder.appendingPathComponent("orthanc.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.executableURL = OrthancServer.executable
        process.arguments = [configURL.path]
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while (try? http("GET", "/system")) == nil {
            if !process.isRunning || Date() > deadline {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                stop()
                throw OrthancError("Orthanc did not start within 30 s; log tail: \(text.suffix(1500))")
            }
            usleep(100_000)
        }
    }

    deinit { stop() }

    /// SIGTERM by process id, SIGKILL after 5 s; removes the temporary folder.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            // Orthanc stops in about 3 s, but waits on a C-GET whose SCU vanished (the interrupt
            // test) until killed; its storage is a temporary folder, so nothing is lost.
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { usleep(50_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: folder)
    }

    /// Uploads one DICOM file through the REST API (POST /instances); returns Orthanc's answer.
    @discardableResult
    public func upload(_ file: URL) throws -> [String: Any] {
        let (data, status) = try http("POST", "/instances", body: try Data(contentsOf: file))
        guard status == 200 else { throw OrthancError("upload of \(file.lastPathComponent): HTTP \(status) \(String(decoding: data, as: UTF8.self))") }
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    /// The stored file of an instance, as Orthanc keeps it (GET /instances/{id}/file).
    public func storedFile(orthancID: String) throws -> Data {
        let (data, status) = try http("GET", "/instances/\(orthancID)/file")
        guard status == 200 else { throw OrthancError("GET instance \(orthancID): HTTP \(status)") }
        return data
    }

    /// The Series Instance UID of the series Orthanc filed an upload under (its answer's ParentSeries).
    public func seriesUID(ofUpload answer: [String: Any]) throws -> String {
        guard let id = answer["ParentSeries"] as? String else { throw OrthancError("upload answer without ParentSeries") }
        let (data, status) = try http("GET", "/series/\(id)")
        guard status == 200, let doc = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let tags = doc["MainDicomTags"] as? [String: Any], let uid = tags["SeriesInstanceUID"] as? String
        else { throw OrthancError("GET series \(id): HTTP \(status)") }
        return uid
    }

    /// Orthanc's count of stored instances.
    public func instanceCount() throws -> Int {
        let (data, _) = try http("GET", "/statistics")
        return ((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["CountInstances"] as? Int) ?? -1
    }

    private final class Box: @unchecked Sendable {
        var data = Data()
        var status = 0
        var error: Error?
    }

    public func http(_ method: String, _ path: String, body: Data? = nil) throws -> (Data, Int) {
        var r = URLRequest(url: URL(string: "http://127.0.0.1:\(httpPort)\(path)")!, timeoutInterval: 30)
        r.httpMethod = method
        r.httpBody = body
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: r) { d, resp, e in
            box.data = d ?? Data()
            box.status = (resp as? HTTPURLResponse)?.statusCode ?? 0
            box.error = e
            done.signal()
        }.resume()
        done.wait()
        if let e = box.error { throw e }
        return (box.data, box.status)
    }
}

public struct OrthancError: Error, CustomStringConvertible {
    public var description: String
    init(_ s: String) { description = s }
}

/// Ports the kernel hands out for 127.0.0.1 right now (all bound at once, so distinct).
public func freePorts(_ n: Int) throws -> [Int] {
    var fds: [Int32] = []
    defer { fds.forEach { close($0) } }
    var ports: [Int] = []
    for _ in 0..<n {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw OrthancError("socket: errno \(errno)") }
        fds.append(fd)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard ok == 0 else { throw OrthancError("bind: errno \(errno)") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        ports.append(Int(UInt16(bigEndian: addr.sin_port)))
    }
    return ports
}
