// The seed workflow through the official Cohere TypeScript SDK (cohere-ai), unchanged, against a
// running `finetune serve`. Started by SdkWorkflowTest with these environment variables:
//   FINETUNE_URL, FINETUNE_API_KEY, CHAT_BASE, TASK_BASE, CHAT_TRAIN, CHAT_EVAL, RERANK_TRAIN,
//   CLASSIFY_TRAIN, CSV_FILE
// Exits 0 when every step holds; prints one line per step.
// Files go up as fs.openAsBlob(path) (a file-backed Blob, read as it is sent): cohere-ai 8.1.0 on Node 20
// sends a fs.ReadStream or a {path} as the text "[object Object]" instead of the file's bytes.
import assert from "node:assert/strict";
import fs from "node:fs";
import { Cohere, CohereClient, CohereClientV2, CohereError } from "cohere-ai";

const env = (name) => {
    const v = process.env[name];
    if (!v) throw new Error(`missing environment variable ${name}`);
    return v;
};
const url = env("FINETUNE_URL");
const co = new CohereClientV2({ token: env("FINETUNE_API_KEY"), environment: url });
// classify, generate, tokenize and detokenize are v1 endpoints: in cohere-ai 8.1.0 the V2 client's copies of
// them fail inside the SDK ("this.__classify is not a function"), so they go through the v1 client
const v1 = new CohereClient({ token: env("FINETUNE_API_KEY"), environment: url });
const deadline = (seconds) => Date.now() + seconds * 1000;
const pause = (ms) => new Promise((r) => setTimeout(r, ms));
const step = (what) => console.log(`sdk: ${what}`);

async function until(what, get, done, seconds = 120) {
    const end = deadline(seconds);
    let last;
    while (Date.now() < end) {
        last = await get();
        if (done(last)) return last;
        await pause(100); // poll interval; the deadline decides
    }
    throw new Error(`${what}: not reached within ${seconds} s; last: ${JSON.stringify(last)}`);
}

async function validatedDataset(name, type, train, evalFile) {
    const created = await co.datasets.create(await fs.openAsBlob(train), evalFile ? await fs.openAsBlob(evalFile) : undefined,
        { name, type });
    assert.ok(created.id, "datasets.create returns an id");
    const got = await until(`dataset ${created.id} validated`, () => co.datasets.get(created.id),
        (r) => ["validated", "failed"].includes(r.dataset.validationStatus));
    assert.equal(got.dataset.validationStatus, "validated", got.dataset.validationError);
    return got.dataset;
}

async function readyModel(name, baseType, base, datasetId, hyperparameters) {
    const created = await co.finetuning.createFinetunedModel({
        name,
        settings: { baseModel: { baseType, name: base }, datasetId, hyperparameters },
    });
    const id = created.finetunedModel.id;
    assert.equal(created.finetunedModel.status, "STATUS_QUEUED");
    const got = await until(`model ${id} ready`, () => co.finetuning.getFinetunedModel(id),
        (r) => ["STATUS_READY", "STATUS_FAILED", "STATUS_CANCELLED"].includes(r.finetunedModel.status), 240);
    assert.equal(got.finetunedModel.status, "STATUS_READY", JSON.stringify(got.finetunedModel));
    return got.finetunedModel;
}

// 1. datasets: train and eval files, polled to validated
const chatData = await validatedDataset("sdk-chat", "chat-finetune-input", env("CHAT_TRAIN"), env("CHAT_EVAL"));
assert.deepEqual(chatData.datasetParts.map((p) => p.name), ["train", "eval"]);
assert.ok(chatData.createdAt instanceof Date || typeof chatData.createdAt === "string");
step(`datasets.create + get: ${chatData.id} validated with parts ${chatData.datasetParts.map((p) => `${p.name}=${p.numRows}`)}`);
const listed = await co.datasets.list({ datasetType: "chat-finetune-input" });
assert.ok(listed.datasets.some((d) => d.id === chatData.id), "datasets.list finds it");
const usage = await co.datasets.getUsage();
assert.ok(usage.organizationUsage > 0);
step(`datasets.list and getUsage: ${listed.datasets.length} chat dataset(s), ${usage.organizationUsage} bytes`);

// 2. a schema-invalid upload (a CSV as chat) fails fast with the documented message
const csv = await co.datasets.create(await fs.openAsBlob(env("CSV_FILE")), undefined, { name: "sdk-csv", type: "chat-finetune-input" });
const failed = await until("csv dataset failed", () => co.datasets.get(csv.id),
    (r) => ["validated", "failed"].includes(r.dataset.validationStatus), 30);
assert.equal(failed.dataset.validationStatus, "failed");
assert.match(failed.dataset.validationError, /^line 1 is not a JSON object: chat-finetune-input expects JSONL/);
step(`a CSV uploaded as chat failed: ${failed.dataset.validationError.slice(0, 60)}...`);

// 3. fine-tune, poll to STATUS_READY, events and step metrics
const chat = await readyModel("sdk-chat-model", "BASE_TYPE_CHAT", env("CHAT_BASE"), chatData.id,
    { trainEpochs: 10, trainBatchSize: 4, learningRate: 0.01, earlyStoppingPatience: 0, strategy: "STRATEGY_FULL" });
step(`finetuning.createFinetunedModel: ${chat.id} ${chat.status}`);
const events = await co.finetuning.listEvents(chat.id, { orderBy: "created_at asc" });
const statuses = events.events.map((e) => e.status);
assert.equal(statuses[0], "STATUS_QUEUED");
assert.equal(statuses[statuses.length - 1], "STATUS_READY");
assert.ok(events.events[0].createdAt instanceof Date);
step(`finetuning.listEvents: ${statuses.join(" -> ")}`);
const page = await co.finetuning.listTrainingStepMetrics(chat.id, { pageSize: 3 });
assert.equal(page.stepMetrics.length, 3);
assert.ok(page.nextPageToken, "a next_page_token");
const rest = await co.finetuning.listTrainingStepMetrics(chat.id, { pageSize: 1000, pageToken: page.nextPageToken });
assert.ok(rest.stepMetrics.length > 0 && rest.stepMetrics[0].stepNumber >= page.stepMetrics[2].stepNumber);
step(`finetuning.listTrainingStepMetrics: ${3 + rest.stepMetrics.length} steps in two pages`);
const models = await co.finetuning.listFinetunedModels({ pageSize: 10 });
assert.ok(models.finetunedModels.some((m) => m.id === chat.id));
const renamed = await co.finetuning.updateFinetunedModel(chat.id, { name: "sdk-chat-renamed", settings: chat.settings });
assert.equal(renamed.finetunedModel.name, "sdk-chat-renamed");
step("finetuning.listFinetunedModels and updateFinetunedModel");

// 4. chat and chatStream on <id>-ft
const messages = [{ role: "user", content: "hello there!" }];
const answer = await co.chat({ model: `${chat.id}-ft`, messages, maxTokens: 10, temperature: 0 });
assert.equal(answer.message.role, "assistant");
assert.ok(["COMPLETE", "MAX_TOKENS", "STOP_SEQUENCE"].includes(answer.finishReason));
assert.ok(answer.usage.tokens.outputTokens >= 1, JSON.stringify(answer.usage));
const text = answer.message.content.map((c) => c.text).join("");
step(`chat: ${JSON.stringify(text)} (${answer.finishReason})`);
const stream = await co.chatStream({ model: `${chat.id}-ft`, messages, maxTokens: 10, temperature: 0 });
const types = [];
let streamed = "";
let end;
for await (const ev of stream) {
    types.push(ev.type);
    if (ev.type === "content-delta") streamed += ev.delta.message.content.text;
    if (ev.type === "message-end") end = ev;
}
assert.deepEqual(types.slice(0, 2), ["message-start", "content-start"]);
assert.deepEqual(types.slice(-2), ["content-end", "message-end"]);
assert.equal(streamed, text, "the stream says what chat said");
assert.equal(end.delta.finishReason, answer.finishReason);
step(`chatStream: ${types.length} events, ${types.filter((t) => t === "content-delta").length} content-delta`);

// 5. rerank and classify on models of those types
const rerankData = await validatedDataset("sdk-rerank", "reranker-finetune-input", env("RERANK_TRAIN"));
const classifyData = await validatedDataset("sdk-classify", "single-label-classification-finetune-input", env("CLASSIFY_TRAIN"));
const reranker = await readyModel("sdk-rerank-model", "BASE_TYPE_RERANK", env("TASK_BASE"), rerankData.id,
    { trainEpochs: 1, earlyStoppingPatience: 0 });
const classifier = await readyModel("sdk-classify-model", "BASE_TYPE_CLASSIFICATION", env("TASK_BASE"), classifyData.id,
    { trainEpochs: 1, earlyStoppingPatience: 0 });
const ranked = await co.rerank({ model: `${reranker.id}-ft`, query: "where is the piano?",
    documents: ["the tiger is here.", "the piano is here.", "the stone is here."], topN: 2 });
assert.equal(ranked.results.length, 2);
assert.ok(ranked.results.every((r) => r.relevanceScore >= 0 && r.relevanceScore <= 1));
assert.ok(ranked.results[0].relevanceScore >= ranked.results[1].relevanceScore);
step(`rerank: ${JSON.stringify(ranked.results)}`);
const labels = await v1.classify({ model: `${classifier.id}-ft`, inputs: ["i love this lemon.", "i hate this tiger."] });
assert.equal(labels.classifications.length, 2);
assert.ok(labels.classifications.every((c) => ["positive", "negative", "other"].includes(c.prediction)));
step(`classify: ${labels.classifications.map((c) => `${c.prediction} ${c.confidence.toFixed(2)}`).join(", ")}`);

// 6. generate with likelihoods, tokenize and detokenize
const gen = await v1.generate({ model: `${chat.id}-ft`, prompt: "what is two plus two?", maxTokens: 3, returnLikelihoods: "ALL" });
assert.ok(gen.generations[0].tokenLikelihoods.length > 3);
const tok = await v1.tokenize({ model: `${chat.id}-ft`, text: "what is the capital of france?" });
const detok = await v1.detokenize({ model: `${chat.id}-ft`, tokens: tok.tokens });
assert.equal(detok.text, "what is the capital of france?");
step(`generate (ALL likelihoods), tokenize (${tok.tokens.length} tokens) and detokenize`);

// 7. error paths: the SDK's own error classes
await assert.rejects(() => co.datasets.get("no-such-dataset"), (e) => e instanceof Cohere.NotFoundError && e.statusCode === 404);
await assert.rejects(() => co.finetuning.createFinetunedModel({ name: "bad", settings: {
    baseModel: { baseType: "BASE_TYPE_CHAT" }, datasetId: chatData.id, hyperparameters: { trainEpochs: 11 } } }),
    (e) => e instanceof Cohere.BadRequestError && e.body.message === "train_epochs: 11 is outside the allowed range 1 to 10 (inclusive)");
const wrongKey = new CohereClientV2({ token: "not-the-key", environment: url });
await assert.rejects(() => wrongKey.datasets.list(),
    (e) => e instanceof Cohere.UnauthorizedError && e.statusCode === 401 && e.body.message === "invalid api token");
await assert.rejects(() => wrongKey.chat({ model: `${chat.id}-ft`, messages }), (e) => e instanceof CohereError && e.statusCode === 401);
step("errors: 404 NotFoundError, 400 BadRequestError with the range message, 401 UnauthorizedError for a wrong key");

await co.datasets.delete(csv.id);
await assert.rejects(() => co.datasets.get(csv.id), (e) => e instanceof Cohere.NotFoundError);
step("datasets.delete");
console.log("sdk: workflow passed");
