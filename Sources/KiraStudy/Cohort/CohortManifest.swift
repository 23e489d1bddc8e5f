import Foundation
import KiraCore

/// One case of a cohort manifest.
public struct CohortCase: Sendable, Equatable {
    public let id: String
    public let image: URL
    public let mask: URL
    /// Mask label (nil: the command's --label, else every non-zero voxel).
    public let label: Int?
    /// Habitat label map for `habitat:K` regions (nil: the command's --habitats).
    public let habitats: URL?

    public init(id: String, image: URL, mask: URL, label: Int? = nil, habitats: URL? = nil) {
        self.id = id; self.image = image; self.mask = mask; self.label = label; self.habitats = habitats
    }
}

/// `cases.csv` for cohort mode: columns `id,image,mask` and optionally `label` and `habitats`;
/// relative paths are relative to the manifest's folder. Ids must be unique and non-empty.
public enum CohortManifest {
    public static func read(_ url: URL) throws -> [CohortCase] {
        let table = try CSVTable(contentsOf: url)
        let ids = try table.strings("id"), images = try table.strings("image"), masks = try table.strings("mask")
        let labels = table.hasColumn("label") ? try table.strings("label") : nil
        let habitats = table.hasColumn("habitats") ? try table.strings("habitats") : nil
        let folder = url.deletingLastPathComponent()
        func resolve(_ path: String) -> URL {
            path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path).standardizedFileURL
        }
        var seen: [String: Int] = [:]
        var out: [CohortCase] = []
        for r in ids.indices {
            let row = r + 2
            guard !ids[r].isEmpty else { throw KiraError.invalidData("\(url.path): row \(row), column \"id\": empty case id") }
            if let first = seen[ids[r]] {
                throw KiraError.invalidData("\(url.path): row \(row): case id '\(ids[r])' already used on row \(first)")
            }
            seen[ids[r]] = row
            for (column, value) in [("image", images[r]), ("mask", masks[r])] where value.isEmpty {
                throw KiraError.invalidData("\(url.path): row \(row), column \"\(column)\": empty path")
            }
            var label: Int?
            if let cell = labels?[r], !cell.isEmpty {
                guard let l = Int(cell), l > 0 else {
                    throw KiraError.invalidData("\(url.path): row \(row), column \"label\": \"\(cell)\" is not a positive integer label")
                }
                label = l
            }
            let habitat = habitats.flatMap { $0[r].isEmpty ? nil : resolve($0[r]) }
            out.append(CohortCase(id: ids[r], image: resolve(images[r]), mask: resolve(masks[r]), label: label, habitats: habitat))
        }
        guard !out.isEmpty else { throw KiraError.invalidData("\(url.path): the manifest lists no case") }
        return out
    }
}
