/**
 * Parsing of route patterns (`/users/:id(\d+)/*`) into segment lists.
 *
 * @module
 */
import { RE2JS } from "re2js";
import { publicError, type SwitchyardError } from "../common/errors.ts";

/** The kind of one pattern segment. */
export type SegmentKind = "static" | "param";

/** One parsed segment of a route pattern. */
export interface PatternSegment {
  /** `static` for literal text, `param` for `:name` or `:name(regex)`. */
  readonly kind: SegmentKind;
  /** The literal text (static) or the parameter name (param). */
  readonly value: string;
  /** The regex source of a constrained parameter, without anchors. */
  readonly constraint?: string;
  /** The compiled, anchored constraint of a parameter. */
  readonly regex?: RegExp;
}

/** A parsed route pattern. */
export interface ParsedPattern {
  /** The pattern as written. */
  readonly source: string;
  /** The segments before any trailing wildcard. */
  readonly segments: readonly PatternSegment[];
  /** Whether the pattern ends with `*` (the rest of the path is captured). */
  readonly wildcard: boolean;
}

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function invalid(pattern: string, reason: string): SwitchyardError {
  return publicError(
    "invalid_route_pattern",
    400,
    `Route pattern "${pattern}" is invalid: ${reason}`,
    { pattern },
  );
}

/** Splits on `/` outside parentheses so constraint regexes may contain `/`. */
function splitSegments(pattern: string, body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "\\") {
      i++;
    } else if (c === "(") {
      depth++;
    } else if (c === ")") {
      depth--;
      if (depth < 0) throw invalid(pattern, 'unbalanced ")"');
    } else if (c === "/" && depth === 0) {
      out.push(body.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) throw invalid(pattern, 'unbalanced "("');
  out.push(body.slice(start));
  return out;
}

function parseParam(pattern: string, text: string): PatternSegment {
  const open = text.indexOf("(");
  const name = open === -1 ? text.slice(1) : text.slice(1, open);
  if (!PARAM_NAME.test(name)) {
    throw invalid(pattern, `parameter name "${name}" must match ${PARAM_NAME.source}`);
  }
  if (open === -1) return { kind: "param", value: name };
  if (!text.endsWith(")")) {
    throw invalid(pattern, `the constraint of "${name}" must end the segment`);
  }
  const constraint = text.slice(open + 1, -1);
  if (constraint === "") throw invalid(pattern, `the constraint of "${name}" is empty`);
  let regex: RegExp;
  try {
    regex = new RegExp(`^(?:${constraint})$`);
  } catch {
    throw invalid(pattern, `the constraint "${constraint}" is not a valid regular expression`);
  }
  return { kind: "param", value: name, constraint, regex };
}

/**
 * Parses a route pattern.
 *
 * Syntax: segments separated by `/`; a segment is literal text, `:name`, or
 * `:name(regex)` (the regex must match the whole segment); a final `*`
 * captures the rest of the path. One trailing `/` is ignored (`/users/` is
 * `/users`).
 *
 * @param pattern The pattern, starting with `/`.
 * @returns The parsed pattern.
 * @throws {SwitchyardError} `invalid_route_pattern` (400) naming the pattern.
 */
export function parsePattern(pattern: string): ParsedPattern {
  if (typeof pattern !== "string" || !pattern.startsWith("/")) {
    throw invalid(String(pattern), 'it must start with "/"');
  }
  let body = pattern.slice(1);
  if (body.endsWith("/")) body = body.slice(0, -1);
  if (body === "") return { source: pattern, segments: [], wildcard: false };
  const parts = splitSegments(pattern, body);
  const segments: PatternSegment[] = [];
  const names = new Set<string>();
  let wildcard = false;
  for (let i = 0; i < parts.length; i++) {
    const text = parts[i]!;
    if (text === "") throw invalid(pattern, "it has an empty segment");
    if (text === "*") {
      if (i !== parts.length - 1) throw invalid(pattern, '"*" is only allowed as the last segment');
      wildcard = true;
    } else if (text.startsWith(":")) {
      const seg = parseParam(pattern, text);
      if (names.has(seg.value)) throw invalid(pattern, `parameter "${seg.value}" appears twice`);
      names.add(seg.value);
      segments.push(seg);
    } else if (text.includes("*")) {
      throw invalid(pattern, `segment "${text}" mixes literal text with "*"`);
    } else {
      segments.push({ kind: "static", value: text });
    }
  }
  return { source: pattern, segments, wildcard };
}

/** Longest whole-path regex accepted, in characters. */
export const MAX_REGEX_SOURCE = 1024;

/**
 * Parses a whole-path regex pattern: `~` then a regular expression in RE2
 * syntax that must match the entire path (anchors are implied), with named
 * groups (`(?<name>...)`) as parameters. Matching runs in time linear in the
 * path (RE2 semantics: no backreferences, no lookaround), so no pattern can
 * stall the router.
 *
 * @param pattern The pattern, starting with `~`.
 * @returns The compiled regex.
 * @throws {SwitchyardError} `invalid_route_pattern` (400) naming the pattern.
 */
export function parseRegexPattern(pattern: string): RE2JS {
  const source = pattern.slice(1);
  if (source === "") throw invalid(pattern, 'the regex after "~" is empty');
  if (source.length > MAX_REGEX_SOURCE) {
    throw invalid(pattern, `the regex is longer than ${MAX_REGEX_SOURCE} characters`);
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (err) {
    throw invalid(pattern, `the regex is not valid RE2 syntax (${(err as Error).message})`);
  }
  for (const name of Object.keys(re.namedGroups())) {
    if (!PARAM_NAME.test(name)) {
      throw invalid(pattern, `group name "${name}" must match ${PARAM_NAME.source}`);
    }
  }
  return re;
}

/**
 * The parameter names of a pattern (segment parameters, or a regex's named groups).
 *
 * @param pattern A path pattern or a `~` regex pattern.
 * @returns The names.
 * @throws {SwitchyardError} `invalid_route_pattern` (400) for a malformed pattern.
 */
export function patternParams(pattern: string): string[] {
  if (pattern.startsWith("~")) return Object.keys(parseRegexPattern(pattern).namedGroups());
  return parsePattern(pattern).segments.filter((s) => s.kind === "param").map((s) => s.value);
}
