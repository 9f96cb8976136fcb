// The checks of a NATS connection (target or upstream) that the schema cannot express: which
// credentials go together, TLS pairs, and for a target its subject template.
import { SubjectTemplate, templateProblem } from "../nats/subject.ts";
import type { NatsTargetConfig, UpstreamConfig } from "./schema.ts";

export function natsProblems(c: NatsTargetConfig | UpstreamConfig, at: string): string[] {
  const p: string[] = [];
  const urls = Array.isArray(c.url) ? c.url : [c.url];
  urls.forEach((u, i) => {
    try {
      new URL(u);
    } catch {
      p.push(`${at}.url${Array.isArray(c.url) ? `[${i}]` : ""}: "${u}" is not a valid URL`);
    }
  });
  if (Boolean(c.user) !== Boolean(c.password)) p.push(`${at}.user / ${at}.password: set both, or neither`);
  const ways = [c.token, c.user, c.creds_file].filter(Boolean).length;
  if (ways > 1) p.push(`${at}: use one of token, user/password or creds_file`);
  if (Boolean(c.tls_cert) !== Boolean(c.tls_key)) p.push(`${at}.tls_cert / ${at}.tls_key: set both, or neither`);
  if (c.kind === "nats" && "subject" in c) {
    const problem = templateProblem(c.subject);
    if (problem) p.push(`${at}.subject: ${problem}, got ${JSON.stringify(c.subject)}`);
    else if (c.create_stream && !c.stream_subjects && new SubjectTemplate(c.subject).coveringSubjects()[0] === ">") {
      p.push(`${at}.stream_subjects: required with create_stream when the subject starts with a placeholder`);
    }
  }
  return p;
}
