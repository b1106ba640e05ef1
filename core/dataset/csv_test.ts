import assert from "node:assert/strict";
import {
  CsvTable,
  formatCsv,
  parseCsv,
  parseCsvNumber,
  readTextFileOrFail,
} from "./csv.ts";

Deno.test("parseCsv() reads quoted fields, escapes, CRLF/LF/CR and a BOM", () => {
  const text = '\ufeffa,"b,c",d\r\n1,"say ""hi""",\n"x\ny",2,3\r4,5,6';
  assert.deepEqual(parseCsv(text, "t.csv"), [
    { row: 1, fields: ["a", "b,c", "d"] },
    { row: 2, fields: ["1", 'say "hi"', ""] },
    { row: 3, fields: ["x\ny", "2", "3"] },
    // The quoted line break moved the next record to line 5.
    { row: 5, fields: ["4", "5", "6"] },
  ]);
});

Deno.test("parseCsv() skips empty lines but keeps their line numbers", () => {
  assert.deepEqual(parseCsv("h\n\nA\r\n\r\nB\n\n", "t.csv"), [
    { row: 1, fields: ["h"] },
    { row: 3, fields: ["A"] },
    { row: 5, fields: ["B"] },
  ]);
  assert.deepEqual(parseCsv('""\n,\n', "t.csv"), [
    { row: 1, fields: [""] },
    { row: 2, fields: ["", ""] },
  ]);
});

Deno.test("parseCsv() rejects an unterminated quote and text after a closing quote", () => {
  assert.throws(() => parseCsv('a,b\n1,"open\n2,3\n', "bad.csv"), {
    name: "DataError",
    message:
      'Cannot read "bad.csv": row 2, column 2 is a quoted field that is never closed, expected a closing double quote (")',
  });
  assert.throws(() => parseCsv('a,b\n"x"y,2\n', "bad.csv"), {
    name: "DataError",
    message:
      'Cannot read "bad.csv": row 2, column 1 is "y" after a closing quote, expected a comma or a line break after a quoted field',
  });
});

Deno.test("CsvTable looks columns up by name, whatever their order and extra columns", () => {
  const table = CsvTable.parse(
    ",coordY,seriesuid,coordX\n0,2.5,A,-1e2\n1, 3 ,B,.5\n",
    "t.csv",
    ["seriesuid", "coordX"],
  );
  assert.equal(table.length, 2);
  assert.equal(table.text(1, "seriesuid"), "B");
  assert.equal(table.number(0, "coordX"), -100);
  assert.equal(table.number(1, "coordY"), 3);
  assert.equal(table.number(1, "coordX"), 0.5);
  assert.equal(table.has("coordZ"), false);
});

Deno.test("CsvTable names the file, row and column of missing and bad fields", () => {
  const text =
    "seriesuid,coordX,coordY\nA,1,2\nB,abc,2\nC,nan,1\nD,1e999,1\nE,1\nF,,1\n";
  const table = CsvTable.parse(text, "ann.csv");
  assert.throws(() => table.number(1, "coordX"), {
    name: "DataError",
    message:
      'Cannot read "ann.csv": row 3, column "coordX" is "abc", expected a finite number',
  });
  assert.throws(
    () => table.number(2, "coordX"),
    /row 4, column "coordX" is "nan"/,
  );
  assert.throws(
    () => table.number(3, "coordX"),
    /row 5, column "coordX" is "1e999"/,
  );
  assert.throws(() => table.number(4, "coordY"), {
    name: "DataError",
    message:
      'Cannot read "ann.csv": row 6, column "coordY" is missing (the row has 2 of the header\'s 3 fields), expected a value in every column of the header',
  });
  assert.throws(
    () => table.number(5, "coordX"),
    /row 7, column "coordX" is ""/,
  );
  assert.throws(() => CsvTable.parse(text, "ann.csv", ["coordZ"]), {
    name: "DataError",
    message:
      'Cannot read "ann.csv": field "coordZ" is missing from the header row ("seriesuid", "coordX", "coordY"), expected a column named "coordZ"',
  });
  assert.throws(() => CsvTable.parse("\n\n", "empty.csv", ["a"]), {
    name: "DataError",
    message:
      'Cannot read "empty.csv": the file is empty, expected a header row with columns "a"',
  });
});

Deno.test("parseCsvNumber() accepts decimal forms Python's float() accepts and rejects the rest", () => {
  assert.equal(parseCsvNumber("1"), 1);
  assert.equal(parseCsvNumber("+1.5"), 1.5);
  assert.equal(parseCsvNumber("5."), 5);
  assert.equal(parseCsvNumber(" -2.5E-3\t"), -0.0025);
  for (
    const bad of [
      "",
      "x",
      "0x10",
      "inf",
      "-Infinity",
      "NaN",
      "1,5",
      "1e",
      "--1",
    ]
  ) {
    assert.equal(parseCsvNumber(bad), undefined, bad);
  }
});

Deno.test("formatCsv() quotes what needs quoting and round-trips through parseCsv()", () => {
  const rows = [
    ["id", "note", "value"],
    ["A", 'has "quotes", commas', 0.1 + 0.2],
    ["B", "two\nlines", 1 / 3],
    ["C", "", -1e-300],
  ];
  const text = formatCsv(rows, { lineEnding: "\r\n" });
  assert.ok(text.startsWith("id,note,value\r\n"));
  const back = parseCsv(text, "t.csv").map((r) => r.fields);
  assert.deepEqual(
    back,
    rows.map((r) => r.map((v) => typeof v === "number" ? String(v) : v)),
  );
  assert.equal(Number(back[1][2]), 0.1 + 0.2);
  assert.throws(() => formatCsv([[NaN]]), {
    name: "RangeError",
    message: "Cannot write CSV number: value is NaN, expected a finite number",
  });
});

Deno.test("readTextFileOrFail() reports a missing file as a DataError", async () => {
  await assert.rejects(
    () => readTextFileOrFail("/nonexistent/x.csv", "the annotations CSV"),
    {
      name: "DataError",
      message:
        'Cannot read "/nonexistent/x.csv": the file does not exist, expected the annotations CSV',
    },
  );
});
