import assert from "node:assert/strict";
import { Console } from "../../machine/console.ts";

Deno.test("Console shows CR/LF-separated output on the screen with the cursor after it", async () => {
  const con = new Console();
  try {
    con.write("KN02-AA V5.7e\r\n>> ");
    await con.flush();
    assert.equal(con.lines.length, 24);
    assert.equal(con.lines[0], "KN02-AA V5.7e");
    assert.equal(con.lines[1], ">>");
    assert.deepEqual(con.cursor, { x: 3, y: 1 });
  } finally {
    con.dispose();
  }
});

Deno.test("Console treats a bare LF as a line feed without carriage return, as a terminal does", async () => {
  const con = new Console();
  try {
    con.write([0x61, 0x62, 0x0a, 0x63]);
    assert.deepEqual((await con.screen()).slice(0, 2), ["ab", "  c"]);
    con.write("\rX");
    assert.deepEqual((await con.screen()).slice(0, 2), ["ab", "X c"]);
    assert.deepEqual(con.cursor, { x: 1, y: 1 });
  } finally {
    con.dispose();
  }
});

Deno.test("Console scrolls when output passes the last row of a configured size", async () => {
  const con = new Console({ cols: 20, rows: 3 });
  try {
    for (let i = 1; i <= 5; i++) con.write(`line ${i}\r\n`);
    assert.deepEqual(await con.screen(), ["line 4", "line 5", ""]);
    assert.deepEqual(con.cursor, { x: 0, y: 2 });
  } finally {
    con.dispose();
  }
});

Deno.test("Console keeps every byte written as the raw stream and as text", () => {
  const con = new Console();
  try {
    const before = con.bytes;
    con.write("h\u00e9");
    const snapshot = con.bytes;
    con.write(new Uint8Array(5000).fill(0x2e));
    con.write([0x1b, 0x5b, 0x32, 0x4a]);
    assert.equal(before.length, 0);
    assert.deepEqual([...snapshot], [0x68, 0xc3, 0xa9]);
    assert.equal(con.bytes.length, 3 + 5000 + 4);
    assert.equal(con.text, "h\u00e9" + ".".repeat(5000) + "\x1b[2J");
  } finally {
    con.dispose();
  }
});

Deno.test("Console.onOutput streams each write to listeners until removed", () => {
  const con = new Console();
  try {
    const got: number[] = [];
    const remove = con.onOutput((bytes) => got.push(...bytes));
    con.write("ok");
    con.write([0x0d]);
    remove();
    con.write("lost");
    assert.deepEqual(got, [0x6f, 0x6b, 0x0d]);
  } finally {
    con.dispose();
  }
});

Deno.test("Console.type sends input bytes to onInput, and throws without it", () => {
  const con = new Console();
  try {
    assert.throws(() => con.type("x"), /no input connection/);
    const got: number[] = [];
    con.onInput = (bytes) => got.push(...bytes);
    con.type("ls\r");
    con.type([0x03]);
    assert.deepEqual(got, [0x6c, 0x73, 0x0d, 0x03]);
    assert.equal(con.bytes.length, 0);
  } finally {
    con.dispose();
  }
});

Deno.test("Console shows a blank screen until the first flush, and truncates before one", async () => {
  const con = new Console({ cols: 20, rows: 3 });
  try {
    con.write("before\r\n");
    assert.deepEqual(con.lines, ["", "", ""]);
    assert.deepEqual(con.cursor, { x: 0, y: 0 });
    con.truncate(0);
    con.write("after");
    const first = con.flush(), second = con.flush();
    await Promise.all([first, second]);
    assert.deepEqual(con.lines, ["after", "", ""]);
    assert.deepEqual(con.cursor, { x: 5, y: 0 });
  } finally {
    con.dispose();
  }
});
