import JSON
import Testing

/// kubectl's JSONPath, on the shapes `kubectl get -o jsonpath`, `--sort-by` and printer columns use.
@Suite("JSONPath templates (kubectl's)")
struct JSONPathTemplateTests {
    let list: JSONValue = [
        "kind": "List",
        "items": [
            ["metadata": ["name": "a", "labels": ["app": "x"]], "spec": ["maxReplicas": 12],
             "status": ["conditions": [["type": "Ready", "status": "False", "reason": "TargetClaimed"], ["type": "WarmupReady", "status": "True"]]]],
            ["metadata": ["name": "b"], "spec": ["maxReplicas": 3], "status": ["conditions": [["type": "Ready", "status": "True", "reason": "Reconciled"]]]],
        ],
    ]

    @Test func fieldsWildcardsAndIndices() throws {
        #expect(try JSONPathTemplate("{.items[*].metadata.name}").render(list) == "a b")
        #expect(try JSONPathTemplate("{.items[0].spec.maxReplicas}").render(list) == "12")
        #expect(try JSONPathTemplate("{.items[-1].metadata.name}").render(list) == "b")
        #expect(try JSONPathTemplate("{.items[0:1].metadata.name}").render(list) == "a")
        #expect(try JSONPathTemplate("{$.kind}").render(list) == "List")
        #expect(try JSONPathTemplate("{.items[0].metadata['name']}").render(list) == "a")
        #expect(try JSONPathTemplate("{..reason}").render(list) == "TargetClaimed Reconciled")
        #expect(try JSONPathTemplate("{.items[*].metadata.name,.kind}").render(list) == "a b List")
    }

    @Test func objectsPrintAsJSONAndMissingKeysAsNothing() throws {
        #expect(try JSONPathTemplate("{.items[0].metadata.labels}").render(list) == #"{"app":"x"}"#)
        #expect(try JSONPathTemplate("{.items[1].metadata.labels}").render(list) == "")
        #expect(try JSONPathTemplate("name={.items[1].metadata.name}!").render(list) == "name=b!")
    }

    @Test func filtersAsPrinterColumnsUseThem() throws {
        let ready = try JSONPathTemplate(#"{.status.conditions[?(@.type=="Ready")].status}"#)
        let items = list["items"]?.arrayValue ?? []
        #expect(items.map { ready.values(in: $0) } == [["False"], ["True"]])
        #expect(try JSONPathTemplate("{.items[?(@.spec.maxReplicas > 5)].metadata.name}").render(list) == "a")
        #expect(try JSONPathTemplate("{.items[?(@.metadata.labels)].metadata.name}").render(list) == "a")
        #expect(try JSONPathTemplate("{.items[?(@.metadata.name != 'a')].metadata.name}").render(list) == "b")
    }

    @Test func rangeAndLiterals() throws {
        let t = try JSONPathTemplate(#"{range .items[*]}{.metadata.name}{"\t"}{.spec.maxReplicas}{"\n"}{end}"#)
        #expect(t.render(list) == "a\t12\nb\t3\n")
    }

    @Test func theRelaxedFormOfSortBy() throws {
        for text in [".spec.maxReplicas", "spec.maxReplicas", "{.spec.maxReplicas}"] {
            #expect(try JSONPathTemplate(relaxed: text).values(in: list["items"]?.arrayValue?[0] ?? .null) == [12])
        }
    }

    @Test func malformedTemplatesAreErrors() {
        #expect(throws: JSONPathTemplate.ParseError.self) { try JSONPathTemplate("{.items[0") }
        #expect(throws: JSONPathTemplate.ParseError.self) { try JSONPathTemplate("{range .items[*]}{.a}") }
        #expect(throws: JSONPathTemplate.ParseError.self) { try JSONPathTemplate("{end}") }
        #expect(throws: JSONPathTemplate.ParseError.self) { try JSONPathTemplate("{.items[x]}") }
    }
}
