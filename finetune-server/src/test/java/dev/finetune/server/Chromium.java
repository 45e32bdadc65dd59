package dev.finetune.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.json.Json;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's headless Chromium driven over the Chrome DevTools Protocol: one WebSocket from the JDK's
 * {@link HttpClient} to the page's target, JSON commands and events, no driver and no dependency.
 * Input is real: mouse clicks and key presses go through {@code Input.dispatch*Event} (the browser's own
 * event path, with user activation), text through {@code Input.insertText}, files through the file
 * chooser ({@code DOM.setFileInputFiles}). {@link #allowOnly} cuts every request of the page that is
 * not to one origin ({@code Fetch.requestPaused} -> {@code failRequest}) and records it.
 */
final class Chromium implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("DevTools listening on (ws://\\S+)");
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(180);

    private final Process process;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final List<Consumer<JsonNode>> listeners = new CopyOnWriteArrayList<>();
    private final Object sendLock = new Object();
    /** Requests of the page to any other origin, cut. */
    final List<String> blocked = new CopyOnWriteArrayList<>();
    /** Uncaught script errors and console errors of the page (network failures excluded). */
    final List<String> pageErrors = new CopyOnWriteArrayList<>();
    private final List<String> stderrTail = new CopyOnWriteArrayList<>();

    /** The browser on PATH, if any (Debian: {@code apt-get install chromium}). */
    static Optional<String> executable() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
                File f = new File(dir, name);
                if (f.canExecute()) {
                    return Optional.of(f.getPath());
                }
            }
        }
        return Optional.empty();
    }

    private Chromium(Process process, WebSocket socket) {
        this.process = process;
        this.socket = socket;
    }

    /** Starts a headless browser with a fresh profile and connects to its first tab. */
    static Chromium launch(String executable, Path profile) throws Exception {
        Files.createDirectories(profile);
        List<String> cmd = List.of(executable, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1", "--user-data-dir=" + profile,
                "--no-first-run", "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
                "--window-size=1280,800", "about:blank");
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        CompletableFuture<String> wsUrl = new CompletableFuture<>();
        List<String> tail = new CopyOnWriteArrayList<>();
        Thread drain = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        wsUrl.complete(m.group(1));
                    }
                    tail.add(line);
                    if (tail.size() > 50) {
                        tail.remove(0);
                    }
                }
            } catch (IOException e) {
                // the browser closed its end
            }
            wsUrl.completeExceptionally(new IllegalStateException("chromium exited before it listened: " + tail));
        }, "chromium-stderr");
        drain.setDaemon(true);
        drain.start();
        String browserWs;
        try {
            browserWs = wsUrl.get(60, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            p.destroyForcibly();
            throw new IllegalStateException("chromium did not start its DevTools endpoint within 60 s: " + tail);
        }
        URI u = URI.create(browserWs);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        String pageWs = null;
        for (int attempt = 0; attempt < 100 && pageWs == null; attempt++) {
            HttpResponse<String> list = http.send(HttpRequest.newBuilder(URI.create("http://" + u.getHost() + ":" + u.getPort() + "/json/list"))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            for (JsonNode t : Json.reader().readTree(list.body())) {
                if (t.path("type").asText().equals("page")) {
                    pageWs = t.path("webSocketDebuggerUrl").asText();
                    break;
                }
            }
            if (pageWs == null) {
                // the first tab is still being made: ask again (bounded)
                Thread.onSpinWait();
            }
        }
        if (pageWs == null) {
            p.destroyForcibly();
            throw new IllegalStateException("chromium shows no page target");
        }
        Chromium[] self = new Chromium[1];
        WebSocket ws = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10)).buildAsync(URI.create(pageWs), new WebSocket.Listener() {
            private final StringBuilder buf = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                buf.append(data);
                if (last) {
                    String msg = buf.toString();
                    buf.setLength(0);
                    self[0].dispatch(msg);
                }
                w.request(1);
                return null;
            }
        }).get(30, TimeUnit.SECONDS);
        Chromium c = new Chromium(p, ws);
        self[0] = c;
        c.stderrTail.addAll(tail);
        c.call("Page.enable", null);
        c.call("Runtime.enable", null);
        c.call("Log.enable", null);
        c.on(e -> {
            String method = e.path("method").asText();
            JsonNode params = e.path("params");
            if (method.equals("Runtime.exceptionThrown")) {
                JsonNode d = params.path("exceptionDetails");
                c.pageErrors.add("exception: " + d.path("exception").path("description").asText(d.path("text").asText()));
            } else if (method.equals("Log.entryAdded")) {
                JsonNode en = params.path("entry");
                if (en.path("level").asText().equals("error") && !en.path("source").asText().equals("network")) {
                    c.pageErrors.add(en.path("source").asText() + ": " + en.path("text").asText());
                }
            } else if (method.equals("Runtime.consoleAPICalled") && params.path("type").asText().equals("error")) {
                c.pageErrors.add("console.error: " + params.path("args").toString());
            }
        });
        return c;
    }

    private void dispatch(String msg) {
        JsonNode m;
        try {
            m = Json.reader().readTree(msg);
        } catch (IOException e) {
            return;
        }
        if (m.has("id")) {
            CompletableFuture<JsonNode> f = pending.remove(m.get("id").asInt());
            if (f != null) {
                f.complete(m);
            }
            return;
        }
        for (Consumer<JsonNode> l : listeners) {
            try {
                l.accept(m);
            } catch (RuntimeException e) {
                pageErrors.add("listener failed: " + e);
            }
        }
    }

    void on(Consumer<JsonNode> listener) {
        listeners.add(listener);
    }

    /** Sends a command; the future completes with the whole reply. Safe from a listener (it does not wait). */
    CompletableFuture<JsonNode> send(String method, ObjectNode params) {
        int id = ids.incrementAndGet();
        ObjectNode m = Json.object();
        m.put("id", id);
        m.put("method", method);
        m.set("params", params == null ? Json.object() : params);
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        pending.put(id, f);
        String text = m.toString();
        synchronized (sendLock) {
            socket.sendText(text, true).join(); // one send at a time, as the WebSocket API requires
        }
        return f;
    }

    /** A command's {@code result}; a protocol error fails with its message. */
    JsonNode call(String method, ObjectNode params) {
        JsonNode reply;
        try {
            reply = send(method, params).get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(method + " got no answer from chromium: " + e + " " + stderrTail, e);
        }
        if (reply.has("error")) {
            throw new AssertionError(method + " failed: " + reply.get("error"));
        }
        return reply.path("result");
    }

    static ObjectNode params(Object... kv) {
        ObjectNode o = Json.object();
        for (int i = 0; i < kv.length; i += 2) {
            o.set((String) kv[i], Json.toTree(kv[i + 1]));
        }
        return o;
    }

    // ------------------------------------------------------------------------------------ the network

    /** Lets the page reach {@code origin} only: every other request is failed (as if offline) and recorded. */
    void allowOnly(String origin) {
        String prefix = origin.endsWith("/") ? origin : origin + "/";
        on(e -> {
            if (!e.path("method").asText().equals("Fetch.requestPaused")) {
                return;
            }
            JsonNode p = e.path("params");
            String url = p.path("request").path("url").asText();
            String id = p.path("requestId").asText();
            if (url.startsWith(prefix) || url.equals(origin)) {
                send("Fetch.continueRequest", params("requestId", id));
            } else {
                blocked.add(url);
                send("Fetch.failRequest", params("requestId", id, "errorReason", "InternetDisconnected"));
            }
        });
        ObjectNode pattern = Json.object();
        pattern.put("urlPattern", "*");
        ObjectNode p = Json.object();
        p.putArray("patterns").add(pattern);
        call("Fetch.enable", p);
    }

    // ------------------------------------------------------------------------------------ the page

    /** Evaluates {@code js} in the page (awaiting a promise) and returns its JSON value. */
    JsonNode eval(String js) {
        JsonNode r = call("Runtime.evaluate", params("expression", js, "awaitPromise", true, "returnByValue", true));
        if (r.has("exceptionDetails")) {
            JsonNode d = r.get("exceptionDetails");
            throw new AssertionError("script failed: " + d.path("exception").path("description").asText(d.path("text").asText())
                    + "\n in: " + js);
        }
        return r.path("result").path("value");
    }

    String text(String selector) {
        return eval("(() => { const e = document.querySelector(" + js(selector) + "); return e ? e.textContent : null; })()").asText(null);
    }

    boolean exists(String selector) {
        return eval("!!document.querySelector(" + js(selector) + ")").asBoolean();
    }

    int count(String selector) {
        return eval("document.querySelectorAll(" + js(selector) + ").length").asInt();
    }

    /**
     * Waits until {@code condition} (a JS expression) is true, checking every 50 ms inside the page, at most
     * {@code timeout}; fails with {@code what} and the page's text.
     */
    void waitFor(String condition, Duration timeout, String what) {
        String js = "new Promise((resolve) => { const end = Date.now() + " + timeout.toMillis() + ";"
                + " (function check() { let v = false; try { v = !!(" + condition + "); } catch (e) { v = false; }"
                + " if (v) resolve(true); else if (Date.now() > end) resolve(false); else setTimeout(check, 50); })(); })";
        if (!eval(js).asBoolean()) {
            String body = eval("document.body ? document.body.innerText.slice(0, 3000) : ''").asText();
            throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what + " (" + condition + ")\n"
                    + "page errors: " + pageErrors + "\npage text:\n" + body);
        }
    }

    void waitFor(String condition, String what) {
        waitFor(condition, Duration.ofSeconds(60), what);
    }

    void navigate(String url) {
        call("Page.navigate", params("url", url));
        waitFor("document.readyState === 'complete' && location.href === " + js(url), "the page " + url + " to load");
    }

    /** A real left click in the middle of the element (scrolled into view first). */
    void click(String selector) {
        JsonNode r = eval("(() => { const e = document.querySelector(" + js(selector) + "); if (!e) return null;"
                + " e.scrollIntoView({block: 'center'}); const b = e.getBoundingClientRect();"
                + " return {x: b.left + b.width / 2, y: b.top + b.height / 2}; })()");
        if (r.isNull() || r.isMissingNode()) {
            throw new AssertionError("nothing to click at " + selector);
        }
        double x = r.get("x").asDouble();
        double y = r.get("y").asDouble();
        call("Input.dispatchMouseEvent", params("type", "mouseMoved", "x", x, "y", y));
        call("Input.dispatchMouseEvent", params("type", "mousePressed", "x", x, "y", y, "button", "left", "clickCount", 1));
        call("Input.dispatchMouseEvent", params("type", "mouseReleased", "x", x, "y", y, "button", "left", "clickCount", 1));
    }

    /** Clicks a text field, selects what it holds and types {@code text} over it. */
    void fill(String selector, String text) {
        click(selector);
        eval("(() => { const e = document.querySelector(" + js(selector) + "); e.focus(); if (e.select) e.select(); })()");
        if (text.isEmpty()) {
            press("Backspace");
        } else {
            type(text);
        }
    }

    /** Types into the focused element (what an input method does: one input event per call). */
    void type(String text) {
        call("Input.insertText", params("text", text));
    }

    private record KeyDef(String key, String code, int keyCode, String text) {
    }

    private static final Map<String, KeyDef> KEYS = Map.of(
            "Tab", new KeyDef("Tab", "Tab", 9, null),
            "Enter", new KeyDef("Enter", "Enter", 13, "\r"),
            "Space", new KeyDef(" ", "Space", 32, " "),
            "Escape", new KeyDef("Escape", "Escape", 27, null),
            "Backspace", new KeyDef("Backspace", "Backspace", 8, null),
            "ArrowDown", new KeyDef("ArrowDown", "ArrowDown", 40, null),
            "ArrowUp", new KeyDef("ArrowUp", "ArrowUp", 38, null));

    /** One key press (down and up) as the keyboard sends it. */
    void press(String name) {
        press(name, 0);
    }

    /** {@code modifiers}: 8 is Shift. */
    void press(String name, int modifiers) {
        KeyDef k = KEYS.get(name);
        if (k == null) {
            throw new IllegalArgumentException("no key " + name);
        }
        ObjectNode down = params("type", k.text() == null ? "rawKeyDown" : "keyDown", "key", k.key(), "code", k.code(),
                "windowsVirtualKeyCode", k.keyCode(), "nativeVirtualKeyCode", k.keyCode(), "modifiers", modifiers);
        if (k.text() != null) {
            down.put("text", k.text());
            down.put("unmodifiedText", k.text());
        }
        call("Input.dispatchKeyEvent", down);
        call("Input.dispatchKeyEvent", params("type", "keyUp", "key", k.key(), "code", k.code(), "windowsVirtualKeyCode", k.keyCode(),
                "nativeVirtualKeyCode", k.keyCode(), "modifiers", modifiers));
    }

    /** What has the focus: its id, else its tag and text. */
    String focused() {
        return eval("(() => { const e = document.activeElement; if (!e) return ''; return e.id ? '#' + e.id"
                + " : e.tagName.toLowerCase() + (e.textContent ? ':' + e.textContent.trim().slice(0, 30) : ''); })()").asText();
    }

    /** Presses Tab until the focus is on {@code selector}, at most {@code max} times; returns the stops passed on the way. */
    List<String> tabTo(String selector, int max) {
        List<String> path = new ArrayList<>();
        for (int i = 0; i < max; i++) {
            if (eval("document.activeElement && document.activeElement.matches(" + js(selector) + ")").asBoolean()) {
                return path;
            }
            press("Tab");
            path.add(focused());
        }
        if (eval("document.activeElement && document.activeElement.matches(" + js(selector) + ")").asBoolean()) {
            return path;
        }
        throw new AssertionError("Tab did not reach " + selector + " in " + max + " presses; it went " + path);
    }

    /** Gives a file input its files, as the file chooser would ({@code DOM.setFileInputFiles}; fires input and change). */
    void setFiles(String selector, Path... files) {
        JsonNode r = call("Runtime.evaluate", params("expression", "document.querySelector(" + js(selector) + ")"));
        String objectId = r.path("result").path("objectId").asText(null);
        if (objectId == null) {
            throw new AssertionError("no file input at " + selector);
        }
        call("DOM.setFileInputFiles", params("objectId", objectId, "files", paths(files)));
    }

    static List<String> paths(Path... files) {
        List<String> out = new ArrayList<>();
        for (Path f : files) {
            out.add(f.toAbsolutePath().toString());
        }
        return out;
    }

    /** From now on a file chooser the page opens is handed to {@code onOpen} (its backend node id) instead of a dialog. */
    void interceptFileChooser(Consumer<Integer> onOpen) {
        on(e -> {
            if (e.path("method").asText().equals("Page.fileChooserOpened")) {
                onOpen.accept(e.path("params").path("backendNodeId").asInt());
            }
        });
        call("Page.setInterceptFileChooserDialog", params("enabled", true));
    }

    void setViewport(int width, int height) {
        call("Emulation.setDeviceMetricsOverride", params("width", width, "height", height, "deviceScaleFactor", 1, "mobile", false));
    }

    /** A PNG of the whole page (beyond the viewport) at {@code file}. */
    void screenshot(Path file) throws IOException {
        JsonNode m = call("Page.getLayoutMetrics", null);
        JsonNode size = m.path("cssContentSize");
        ObjectNode clip = params("x", 0, "y", 0, "width", Math.max(1, size.path("width").asDouble()),
                "height", Math.min(16000, Math.max(1, size.path("height").asDouble())), "scale", 1);
        JsonNode shot = call("Page.captureScreenshot", params("format", "png", "captureBeyondViewport", true, "clip", clip));
        Files.createDirectories(file.getParent());
        Files.write(file, Base64.getDecoder().decode(shot.path("data").asText()));
    }

    /** A JS string literal of {@code s}. */
    static String js(String s) {
        return Json.toTree(s).toString();
    }

    @Override
    public void close() {
        try {
            send("Browser.close", null).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // it may close the socket before it answers
        }
        socket.abort();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
