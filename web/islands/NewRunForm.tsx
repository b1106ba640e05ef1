/**
 * The new-run form, generated from the registered plugins' option schemas:
 * choose a plugin per slot, then its options (defaults and descriptions
 * shown); edit data, training and evaluation settings; validate on the
 * server (the CLI's messages appear next to the fields); save the YAML or
 * save and launch.
 *
 * @module
 */

import { useState } from "preact/hooks";
import { type ConfigIssue, formatConfigIssue } from "../../core/errors.ts";
import type {
  FormModel,
  FormOption,
  FormSection,
} from "../server/experiments.ts";

/** Props of the form. */
export interface NewRunFormProps {
  /** Plugins and section fields. */
  readonly model: FormModel;
  /** The experiment the form starts from. */
  readonly initial: Record<string, unknown>;
  /** What it came from. */
  readonly source: string;
  /** Problems of the starting experiment. */
  readonly issues: readonly ConfigIssue[];
  /** Other starting points. */
  readonly sources: {
    readonly experiments: readonly { file: string; name: string }[];
    readonly runs: readonly { id: string; name: string }[];
  };
}

type FieldValue = string | boolean;

const SECTION_TITLES: Record<FormSection, string> = {
  data: "Data",
  train: "Training",
  eval: "Evaluation",
};

const KIND_TITLES: Record<string, string> = {
  segmenter: "Segmenter",
  backbone: "Backbone",
  anchor_head: "Anchor head",
  miner: "Miner",
  loss: "Loss",
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The text an input shows for a value. */
function toField(value: unknown, option: FormOption): FieldValue {
  if (option.type === "boolean") return value === true;
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") {
    return String(value);
  }
  return JSON.stringify(value);
}

/**
 * The value sent for an input: numbers parsed, JSON for lists and objects;
 * text that does not parse is sent as text so the server names the problem.
 * Empty means "use the default" (omitted).
 */
function fromField(text: FieldValue, option: FormOption): unknown {
  if (typeof text === "boolean") return text;
  if (option.enum) {
    return option.enum.find((v) => String(v) === text) ?? text;
  }
  const trimmed = text.trim();
  switch (option.type) {
    case "number":
    case "integer":
      if (trimmed === "") return undefined;
      return Number.isFinite(Number(trimmed)) ? Number(trimmed) : text;
    case "array":
    case "object":
      if (trimmed === "") return undefined;
      try {
        return JSON.parse(trimmed);
      } catch {
        return text;
      }
    case "string":
      return text;
    default:
      if (trimmed === "") return null;
      try {
        return JSON.parse(trimmed);
      } catch {
        return text;
      }
  }
}

function fieldsOf(
  options: readonly FormOption[],
  values: unknown,
): Record<string, FieldValue> {
  const source = isRecord(values) ? values : {};
  const out: Record<string, FieldValue> = {};
  for (const option of options) {
    out[option.name] = toField(source[option.name] ?? option.default, option);
  }
  return out;
}

/** The island. */
export default function NewRunForm(props: NewRunFormProps) {
  const { model } = props;
  const initialModel = isRecord(props.initial.model) ? props.initial.model : {};
  const [name, setName] = useState(String(props.initial.name ?? "experiment"));
  const [slots, setSlots] = useState(() => {
    const out: Record<
      string,
      { plugin: string; values: Record<string, FieldValue> }
    > = {};
    for (const kind of model.kinds) {
      const slot = isRecord(initialModel[kind]) ? initialModel[kind] : {};
      const plugin = typeof slot.plugin === "string"
        ? slot.plugin
        : model.plugins[kind]?.[0]?.id ?? "";
      const definition = model.plugins[kind]?.find((p) => p.id === plugin);
      out[kind] = {
        plugin,
        values: definition ? fieldsOf(definition.options, slot.options) : {},
      };
    }
    return out;
  });
  const [sections, setSections] = useState(() => {
    const out = {} as Record<FormSection, Record<string, FieldValue>>;
    for (const section of Object.keys(model.sections) as FormSection[]) {
      out[section] = fieldsOf(model.sections[section], props.initial[section]);
    }
    return out;
  });
  const [issues, setIssues] = useState<readonly ConfigIssue[]>(props.issues);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);

  const experiment = () => {
    const out: Record<string, unknown> = { name };
    const modelOut: Record<string, unknown> = {};
    for (const kind of model.kinds) {
      const slot = slots[kind];
      const definition = model.plugins[kind]?.find((p) => p.id === slot.plugin);
      const options: Record<string, unknown> = {};
      for (const option of definition?.options ?? []) {
        const value = fromField(slot.values[option.name] ?? "", option);
        if (value !== undefined) options[option.name] = value;
      }
      modelOut[kind] = { plugin: slot.plugin, options };
    }
    out.model = modelOut;
    for (const section of Object.keys(model.sections) as FormSection[]) {
      const values: Record<string, unknown> = {};
      for (const option of model.sections[section]) {
        const value = fromField(sections[section][option.name] ?? "", option);
        if (value !== undefined) values[option.name] = value;
      }
      out[section] = values;
    }
    return out;
  };

  // Every field's key; an issue lands on the longest key that prefixes its path.
  const keys = [
    "name",
    ...model.kinds.flatMap((kind) => [
      `model.${kind}`,
      ...Object.keys(slots[kind].values).map((o) =>
        `model.${kind}.options.${o}`
      ),
    ]),
    ...(Object.keys(model.sections) as FormSection[]).flatMap((s) =>
      model.sections[s].map((o) => `${s}.${o.name}`)
    ),
  ];
  const placed = new Map<string, ConfigIssue[]>();
  const general: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = issue.path === `model.${issue.path.split(".")[1]}.plugin`
      ? issue.path.replace(/\.plugin$/, "")
      : issue.path;
    const key = keys.filter((k) => path === k || path.startsWith(k + "."))
      .sort((a, b) => b.length - a.length)[0];
    if (key) placed.set(key, [...(placed.get(key) ?? []), issue]);
    else general.push(issue);
  }

  const submit = async (action: "validate" | "save" | "launch") => {
    setBusy(true);
    setMessage(null);
    const url = action === "validate"
      ? "/api/experiments/validate"
      : action === "save"
      ? "/api/experiments"
      : "/api/runs";
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ experiment: experiment() }),
      });
      const body = await response.json();
      if (!response.ok) {
        setIssues(body.issues ?? [{ path: "(form)", message: body.error }]);
        setMessage(null);
        return;
      }
      setIssues([]);
      if (action === "launch") {
        location.href = `/runs/${body.run.id}`;
        return;
      }
      setMessage(
        action === "save"
          ? `Saved configs/${body.file}. Run it with: deno task pleura train configs/${body.file}`
          : `Valid. Config hash ${String(body.hash).slice(0, 12)}…`,
      );
    } catch (error) {
      setIssues([{ path: "(form)", message: String(error) }]);
    } finally {
      setBusy(false);
    }
  };

  const fieldErrors = (key: string) =>
    (placed.get(key) ?? []).map((issue) => (
      <div class="field-error" data-issue-path={issue.path}>
        {formatConfigIssue(issue)}
      </div>
    ));

  const input = (
    key: string,
    option: FormOption,
    value: FieldValue,
    set: (value: FieldValue) => void,
  ) => {
    const invalid = placed.has(key);
    const id = `field-${key.replaceAll(".", "-")}`;
    const wide = option.type === "object" || option.type === "array";
    let control;
    if (option.type === "boolean") {
      control = (
        <input
          id={id}
          name={key}
          type="checkbox"
          checked={value === true}
          onChange={(e) => set((e.target as HTMLInputElement).checked)}
        />
      );
    } else if (option.enum) {
      control = (
        <select
          id={id}
          name={key}
          value={String(value)}
          onChange={(e) => set((e.target as HTMLSelectElement).value)}
        >
          {option.enum.map((v) => (
            <option value={String(v)}>{String(v)}</option>
          ))}
        </select>
      );
    } else if (option.type === "object") {
      control = (
        <textarea
          id={id}
          name={key}
          rows={3}
          value={String(value)}
          onInput={(e) => set((e.target as HTMLTextAreaElement).value)}
        />
      );
    } else {
      control = (
        <input
          id={id}
          name={key}
          type="text"
          inputMode={option.type === "number" || option.type === "integer"
            ? "decimal"
            : undefined}
          value={String(value)}
          placeholder={option.default === undefined
            ? ""
            : JSON.stringify(option.default)}
          onInput={(e) => set((e.target as HTMLInputElement).value)}
        />
      );
    }
    const bounds = [
      option.minimum !== undefined ? `≥ ${option.minimum}` : "",
      option.maximum !== undefined ? `≤ ${option.maximum}` : "",
    ].filter(Boolean).join(", ");
    return (
      <div
        class={`field${invalid ? " invalid" : ""}${wide ? " wide" : ""}`}
        data-field={key}
      >
        <label for={id}>{option.name}</label>
        {control}
        <div class="help">
          {option.description}
          <span class="muted">
            {` (${option.type}${bounds ? `, ${bounds}` : ""}, default ${
              JSON.stringify(option.default)
            })`}
          </span>
        </div>
        {fieldErrors(key)}
      </div>
    );
  };

  return (
    <form
      class="new-run"
      onSubmit={(e) => {
        e.preventDefault();
        submit("launch");
      }}
      noValidate
    >
      <section class="card">
        <div class="card-head">
          <h2>Experiment</h2>
          <div class="card-actions">
            <label class="small muted" for="start-from">Start from</label>
            <select
              id="start-from"
              onChange={(e) => {
                const v = (e.target as HTMLSelectElement).value;
                if (v) location.href = `/new?${v}`;
              }}
            >
              <option value="">{props.source}</option>
              {props.sources.experiments.map((x) => (
                <option value={`from=${encodeURIComponent(x.file)}`}>
                  configs/{x.file}
                </option>
              ))}
              {props.sources.runs.map((r) => (
                <option value={`run=${encodeURIComponent(r.id)}`}>
                  run {r.name} ({r.id})
                </option>
              ))}
            </select>
          </div>
        </div>
        <div class="form-grid">
          <div
            class={`field${placed.has("name") ? " invalid" : ""}`}
            data-field="name"
          >
            <label for="field-name">name</label>
            <input
              id="field-name"
              name="name"
              type="text"
              value={name}
              onInput={(e) => setName((e.target as HTMLInputElement).value)}
            />
            <div class="help">
              Names the run and the saved file
              configs/dashboard/&lt;name&gt;.yaml
            </div>
            {fieldErrors("name")}
          </div>
        </div>
      </section>

      {general.length > 0
        ? (
          <ul class="issues" id="form-issues">
            {general.map((issue, i) => (
              <li key={i}>{formatConfigIssue(issue)}</li>
            ))}
          </ul>
        )
        : null}

      <section class="card">
        <div class="card-head">
          <h2>Components</h2>
        </div>
        {model.kinds.map((kind) => {
          const slot = slots[kind];
          const choices = model.plugins[kind] ?? [];
          const definition = choices.find((p) => p.id === slot.plugin);
          const key = `model.${kind}`;
          return (
            <div
              class={`slot${placed.has(key) ? " invalid" : ""}`}
              data-slot={kind}
            >
              <div class="slot-head">
                <h3>{KIND_TITLES[kind] ?? kind}</h3>
                <select
                  id={`plugin-${kind}`}
                  name={`${key}.plugin`}
                  value={slot.plugin}
                  onChange={(e) => {
                    const plugin = (e.target as HTMLSelectElement).value;
                    const next = choices.find((p) => p.id === plugin);
                    setSlots((s) => ({
                      ...s,
                      [kind]: {
                        plugin,
                        values: next ? fieldsOf(next.options, {}) : {},
                      },
                    }));
                  }}
                >
                  {definition ? null : (
                    <option value={slot.plugin}>
                      {slot.plugin || "(none)"}
                    </option>
                  )}
                  {choices.map((p) => (
                    <option key={p.id} value={p.id}>{p.id}</option>
                  ))}
                </select>
                <span class="help">
                  {definition?.description ?? "Not a registered plugin"}
                </span>
              </div>
              <div class="field" data-field={key}>{fieldErrors(key)}</div>
              {definition && definition.options.length > 0
                ? (
                  <div class="form-grid">
                    {definition.options.map((option) =>
                      input(
                        `${key}.options.${option.name}`,
                        option,
                        slot.values[option.name] ?? "",
                        (value) =>
                          setSlots((s) => ({
                            ...s,
                            [kind]: {
                              ...s[kind],
                              values: {
                                ...s[kind].values,
                                [option.name]: value,
                              },
                            },
                          })),
                      )
                    )}
                  </div>
                )
                : definition
                ? <p class="muted small">No options.</p>
                : null}
            </div>
          );
        })}
      </section>

      {(Object.keys(model.sections) as FormSection[]).map((section) => (
        <section class="card">
          <details
            open={section === "data" ||
              [...placed.keys()].some((k) => k.startsWith(`${section}.`))}
          >
            <summary>
              <h2 style={{ display: "inline" }}>{SECTION_TITLES[section]}</h2>
            </summary>
            <div class="form-grid">
              {model.sections[section].map((option) =>
                input(
                  `${section}.${option.name}`,
                  option,
                  sections[section][option.name] ?? "",
                  (value) =>
                    setSections((s) => ({
                      ...s,
                      [section]: { ...s[section], [option.name]: value },
                    })),
                )
              )}
            </div>
          </details>
        </section>
      ))}

      <div class="form-actions">
        <button
          type="button"
          class="button"
          disabled={busy}
          onClick={() => submit("validate")}
          id="validate"
        >
          Validate
        </button>
        <button
          type="button"
          class="button"
          disabled={busy}
          onClick={() => submit("save")}
          id="save"
        >
          Save config
        </button>
        <button
          type="submit"
          class="button primary"
          disabled={busy}
          id="launch"
        >
          Save &amp; launch
        </button>
        {message
          ? <span class="success" id="form-message">{message}</span>
          : null}
        {issues.length > 0
          ? (
            <span class="field-error" id="issue-count">
              {issues.length === 1 ? "1 problem" : `${issues.length} problems`}
            </span>
          )
          : null}
      </div>
    </form>
  );
}
