import Foundation
import JSON
import Testing

@Suite("JSON reader and writer")
struct JSONValueTests {
    @Test("values of every kind are read")
    func kinds() throws {
        let value = try JSONValue.parse(Data(#" {"a":[1,-2,3.5,1e3,true,false,null,"x"],"b":{}, "c":[]} "#.utf8))
        #expect(value == ["a": [1, -2, .double(3.5), .double(1000), true, false, nil, "x"], "b": [:], "c": []])
    }

    @Test("escapes, unicode and surrogate pairs are decoded")
    func strings() throws {
        let text = #""quote \" backslash \\ slash \/ tab \t line \n é \u00e9 \ud83d\ude00 \u2028""#
        #expect(try JSONValue.parse(Data(text.utf8)) == .string("quote \" backslash \\ slash / tab \t line \n é é 😀 \u{2028}"))
    }

    @Test("a lone surrogate reads as U+FFFD, as JavaScript writes a string cut inside an emoji")
    func loneSurrogates() throws {
        // JSON.stringify("Great deal 🎉".slice(0, 12)) in Node: before, the whole document was refused.
        #expect(try JSONValue.parse(Data(#""Great deal \ud83c""#.utf8)) == .string("Great deal \u{FFFD}"))
        #expect(try JSONValue.parse(Data(#""\ude00 low first""#.utf8)) == .string("\u{FFFD} low first"))
        #expect(try JSONValue.parse(Data(#""\ud83d\u0041""#.utf8)) == .string("\u{FFFD}A"))
        #expect(try JSONValue.parse(Data(#""\ud83d\ud83d\ude00""#.utf8)) == .string("\u{FFFD}😀"))
        #expect(try JSONValue.parse(Data(#"{"t":"\ud83d","n":1}"#.utf8)) == ["t": "\u{FFFD}", "n": 1])
    }

    @Test("integers stay integers; large ones become doubles")
    func numbers() throws {
        #expect(try JSONValue.parse(Data("9007199254740993".utf8)) == .int(9_007_199_254_740_993))
        #expect(try JSONValue.parse(Data("99999999999999999999".utf8)) == .double(1e20))
        #expect(JSONValue.double(3).encodedString() == "3")
        #expect(JSONValue.double(129.5).encodedString() == "129.5")
    }

    @Test(
        "malformed documents are refused",
        arguments: [
            "", "{", "[1,]", "{\"a\" 1}", "{a:1}", "01", "1.", "-", "\"unterminated", "\"bad \\x escape\"", "tru", "[1] 2",
            "\"ctl \u{01}\"", "nul", "\"bad pair \\ud83d\\u00zz\"",
        ]
    )
    func malformed(text: String) {
        #expect(throws: (any Error).self) { try JSONValue.parse(Data(text.utf8)) }
    }

    @Test("writing is compact with sorted keys, and reading it back gives the same value")
    func roundTrip() throws {
        let value: JSONValue = ["b": ["y": 1, "x": [true, nil]], "a": "line\nbreak \"quoted\" \u{01} é", "c": .double(0.25)]
        let text = value.encodedString()
        #expect(text == #"{"a":"line\nbreak \"quoted\" \u0001 é","b":{"x":[true,null],"y":1},"c":0.25}"#)
        #expect(try JSONValue.parse(Data(text.utf8)) == value)
        // Foundation reads what we write.
        #expect((try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["c"] as? Double == 0.25)
    }

    @Test("members after a nested object stay with their own object; a repeated key keeps its last value")
    func nestedMembers() throws {
        let text = #"{"a":{"x":1,"y":{"z":2},"w":3},"b":[{"k":1},{"k":2,"k":3}],"c":{},"a2":4,"a":{"x":5}}"#
        #expect(
            try JSONValue.parse(Data(text.utf8))
                == ["a": ["x": 5], "b": [["k": 1], ["k": 3]], "c": [:], "a2": 4]
        )
    }

    @Test("keys sort by their UTF-8 bytes: a prefix first, upper case before lower, non-ASCII last")
    func keyOrder() {
        let value: JSONValue = ["ab": 1, "a": 2, "B": 3, "é": 4, "b": 5, "": 6]
        #expect(value.encodedString() == #"{"":6,"B":3,"a":2,"ab":1,"b":5,"é":4}"#)
    }

    @Test("keys alike in their first eight bytes still sort by all of them, a NUL after a prefix included")
    func longKeyOrder() {
        let value: JSONValue = ["campaign_name": 1, "campaign": 2, "campaign_id": 3, "campaigns": 4, "ab\u{0}": 5, "ab": 6]
        #expect(value.encodedString() == #"{"ab":6,"ab\u0000":5,"campaign":2,"campaign_id":3,"campaign_name":1,"campaigns":4}"#)
    }

    @Test("the byte range of each top-level array element is the element exactly as sent")
    func elementRanges() throws {
        let text = Array(#"[ {"a": [1, 2]} ,"x",3 ]"#.utf8)
        let (value, ranges) = try JSONValue.parseWithElementRanges(text)
        #expect(value == [["a": [1, 2]], "x", 3])
        let elements = try #require(ranges).map { String(decoding: text[$0], as: UTF8.self) }
        #expect(elements == [#"{"a": [1, 2]}"#, #""x""#, "3"])
        #expect(try JSONValue.parseWithElementRanges(Array(#"{"a":[1]}"#.utf8)).1 == nil)
    }

    @Test("deep nesting is refused, not a crash")
    func depth() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: (any Error).self) { try JSONValue.parse(Data(deep.utf8)) }
    }

    @Test("indented writing: two spaces a level, sorted keys, empty containers inline, and it reads back")
    func indented() throws {
        let value: JSONValue = ["b": [1, ["c": nil]], "a": "x", "e": [], "f": [:]]
        let text = value.indentedString()
        #expect(
            text == """
                {
                  "a" : "x",
                  "b" : [
                    1,
                    {
                      "c" : null
                    }
                  ],
                  "e" : [],
                  "f" : {}
                }
                """
        )
        #expect(try JSONValue.parse(Data(text.utf8)) == value)
    }
}
