import Foundation
import KiraCore
import Testing

@Suite("CSV tables")
struct CSVTableTests {
    @Test("quoted fields, CRLF, BOM and missing cells parse as RFC 4180 says")
    func parsesQuoting() throws {
        let text = "\u{FEFF}id,name,value\r\n1,\"a, \"\"b\"\"\",2.5\r\n2,\"two\nlines\",NA\r\n\r\n3,c,-1e-3\n"
        let t = try CSVTable(text: text, source: "t.csv")
        #expect(t.header == ["id", "name", "value"])
        #expect(t.rowCount == 3)
        #expect(try t.strings("name") == ["a, \"b\"", "two\nlines", "c"])
        let v = try t.numbers("value")
        #expect(v[0] == 2.5 && v[1] == nil && v[2] == -0.001)
    }

    @Test("errors name the file, row and column")
    func errorsNamePlace() throws {
        let t = try CSVTable(text: "id,x\n1,2\n2,abc\n", source: "f.csv")
        #expect(throws: KiraError.self) { try t.numbers("x") }
        do { _ = try t.numbers("x") } catch { #expect("\(error)" == "f.csv: row 3, column \"x\": \"abc\" is not a number") }
        do { _ = try t.columnIndex("y") } catch { #expect("\(error)".contains("no column \"y\"")) }
        do { _ = try CSVTable(text: "a,b\n1\n", source: "g.csv") } catch {
            #expect("\(error)" == "g.csv: row 2 has 1 fields, the header has 2")
        }
        #expect(throws: KiraError.self) { try CSVTable(text: "a,a\n1,2\n", source: "h.csv") }
    }

    @Test("what CSVWriter writes reads back identically", arguments: [
        ["plain", "with,comma", "with \"quote\"", "multi\nline", ""],
    ])
    func roundTrip(fields: [String]) throws {
        var w = CSVWriter(header: fields.indices.map { "c\($0)" })
        w.append(fields)
        w.append(fields.map { _ in CSVWriter.format(0.1 + 0.2) })
        let t = try CSVTable(text: w.text, source: "w")
        #expect(t.rows[0] == fields)
        #expect(try CSVTable.number(t.rows[1][0], source: "w", row: 3, column: "c0") == 0.1 + 0.2)
    }
}
