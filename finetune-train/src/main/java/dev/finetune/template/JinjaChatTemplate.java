package dev.finetune.template;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.finetune.BadRequestException;
import dev.finetune.chat.ChatMessage;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model's own Jinja {@code chat_template} (from {@code tokenizer_config.json} or
 * {@code chat_template.jinja}), rendered with HubSpot's jinjava as transformers renders it with
 * Python's Jinja2: {@code trim_blocks} and {@code lstrip_blocks} on, the variables {@code messages},
 * {@code add_generation_prompt}, the tokenizer's special tokens ({@code bos_token}, {@code eos_token},
 * {@code pad_token}, {@code unk_token}) and any extra ones the caller passes ({@code date_string},
 * {@code tools}...), the functions {@code raise_exception} (fails the render with the template's own
 * message) and {@code strftime_now}, and Python's {@code tojson}.
 *
 * <p>Where jinjava and Jinja2 differ: jinjava's Jinja2-compatible readings are switched on
 * ({@link LegacyOverrides}: {@code {{- -}}} trimming, natural operator precedence so that
 * {@code not x is defined} is {@code not (x is defined)}, backslash escapes in quotes only); the Python
 * string methods jinjava's strings lack ({@code startswith}, {@code endswith}, {@code upper},
 * {@code lower}, {@code lstrip}, {@code rstrip}) are rewritten to filters of the same meaning
 * ({@code strip}, {@code split}, {@code replace} work as they are), {@code x[::-1]} to
 * {@code x|reverse|list}, and {@code tojson} prints as {@code json.dumps}. Checked to work as in
 * Jinja2: {@code loop.first/last/index0}, slicing {@code [1:]}, {@code namespace()} with
 * {@code set ns.x}, {@code is defined}, {@code in} on strings and dicts, {@code .get()},
 * {@code .items()} in a for loop. A slice with another step fails with the construct named; an
 * expression jinjava cannot evaluate fails the render with jinjava's message and line, never with
 * different text. Known difference: a boolean prints {@code true} (Python: {@code True}).
 *
 * <p>Immutable and thread-safe (jinjava's engine is; each render has its own context).
 */
public final class JinjaChatTemplate {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String source;
    private final String adapted;
    private final Map<String, Object> specialTokens;
    private final Jinjava jinjava;

    /**
     * @param template      the Jinja source
     * @param specialTokens {@code bos_token} etc. by variable name (the tokenizer_config's values)
     */
    public JinjaChatTemplate(String template, Map<String, String> specialTokens) {
        this.source = Objects.requireNonNull(template);
        this.adapted = adapt(template);
        this.specialTokens = Map.copyOf(specialTokens);
        // Jinja2's own reading where jinjava kept a legacy one: {{- -}} trimming, operator precedence
        // ("not x is defined"), backslash escapes in quotes only, iterating a dict gives its keys
        LegacyOverrides jinja2 = LegacyOverrides.newBuilder().withUseTrimmingForNotesAndExpressions(true)
                .withParseWhitespaceControlStrictly(true).withUseNaturalOperatorPrecedence(true)
                .withHandleBackslashInQuotesOnly(true).withIterateOverMapKeys(true).withEvaluateMapKeys(true)
                .withKeepNullableLoopValues(true).withAllowAdjacentTextNodes(true).withWhitespaceRequiredWithinTokens(false)
                .build();
        JinjavaConfig config = JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true)
                .withLegacyOverrides(jinja2).withMaxRenderDepth(20).build();
        this.jinjava = new Jinjava(config);
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                JinjaChatTemplate.class, "raiseException", Object.class));
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now",
                JinjaChatTemplate.class, "strftimeNow", String.class));
        jinjava.getGlobalContext().registerFilter(new PyToJson());
        for (String m : PY_METHODS) {
            jinjava.getGlobalContext().registerFilter(new PyStringMethod(m));
        }
    }

    /** The template as the model folder has it. */
    public String source() {
        return source;
    }

    /**
     * Renders {@code messages} (Cohere roles become the template's: System → system, User → user,
     * Chatbot → assistant).
     *
     * @param extra more variables ({@code date_string}, {@code tools}...); may be empty
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, Object> extra) {
        List<Map<String, Object>> msgs = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("role", m.role().toString());
            o.put("content", m.content());
            msgs.add(o);
        }
        return renderMaps(msgs, addGenerationPrompt, extra);
    }

    /** Renders messages given as maps ({@code role}, {@code content}, and any other keys a template reads). */
    public String renderMaps(List<Map<String, Object>> messages, boolean addGenerationPrompt, Map<String, Object> extra) {
        Map<String, Object> vars = new LinkedHashMap<>(specialTokens);
        vars.put("messages", messages);
        vars.put("add_generation_prompt", addGenerationPrompt);
        // strftime_now is a callable in transformers, so "strftime_now is defined" holds
        vars.put("strftime_now", "strftime_now");
        vars.putAll(extra);
        RenderResult r;
        try {
            r = jinjava.renderForResult(adapted, vars);
        } catch (TemplateRaised e) {
            throw new BadRequestException("the chat template raised an exception: " + e.getMessage());
        }
        for (TemplateError e : r.getErrors()) {
            String raised = raisedMessage(e);
            if (raised != null) {
                throw new BadRequestException("the chat template raised an exception: " + raised);
            }
        }
        for (TemplateError e : r.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new BadRequestException("the chat template cannot be rendered: " + e.getMessage()
                        + (e.getLineno() > 0 ? " (line " + e.getLineno() + ")" : ""));
            }
        }
        return r.getOutput();
    }

    private static String raisedMessage(TemplateError e) {
        Throwable t = e.getException();
        while (t != null) {
            if (t instanceof TemplateRaised tr) {
                return tr.getMessage();
            }
            t = t.getCause();
        }
        String m = e.getMessage();
        int at = m == null ? -1 : m.indexOf(TemplateRaised.MARK);
        return at < 0 ? null : m.substring(at + TemplateRaised.MARK.length());
    }

    /** The template's {@code raise_exception(message)}: the render fails with the message. */
    public static Object raiseException(Object message) {
        throw new TemplateRaised(String.valueOf(message));
    }

    /** {@code strftime_now(format)}: the local date and time in Python's strftime format. */
    public static String strftimeNow(String format) {
        return strftime(ZonedDateTime.now(), format);
    }

    static String strftime(ZonedDateTime t, String format) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                b.append(c);
                continue;
            }
            char f = format.charAt(++i);
            switch (f) {
                case 'd' -> b.append(String.format("%02d", t.getDayOfMonth()));
                case 'm' -> b.append(String.format("%02d", t.getMonthValue()));
                case 'Y' -> b.append(t.getYear());
                case 'y' -> b.append(String.format("%02d", t.getYear() % 100));
                case 'H' -> b.append(String.format("%02d", t.getHour()));
                case 'M' -> b.append(String.format("%02d", t.getMinute()));
                case 'S' -> b.append(String.format("%02d", t.getSecond()));
                case 'b' -> b.append(t.getMonth().getDisplayName(java.time.format.TextStyle.SHORT, Locale.ENGLISH));
                case 'B' -> b.append(t.getMonth().getDisplayName(java.time.format.TextStyle.FULL, Locale.ENGLISH));
                case 'a' -> b.append(t.getDayOfWeek().getDisplayName(java.time.format.TextStyle.SHORT, Locale.ENGLISH));
                case 'A' -> b.append(t.getDayOfWeek().getDisplayName(java.time.format.TextStyle.FULL, Locale.ENGLISH));
                case 'j' -> b.append(String.format("%03d", t.getDayOfYear()));
                case '%' -> b.append('%');
                default -> throw new BadRequestException("strftime_now: the format code %" + f + " is not supported");
            }
        }
        return b.toString();
    }

    private static final class TemplateRaised extends RuntimeException {
        static final String MARK = "raise_exception: ";

        TemplateRaised(String message) {
            super(message);
        }
    }

    // ---- adapting Jinja2 syntax that jinjava reads differently ----

    private static final Pattern NOT_IS_DEFINED = Pattern.compile(
            "\\bnot\\s+([A-Za-z_][A-Za-z0-9_.]*(?:\\[[^\\]]*\\])*)\\s+is\\s+(not\\s+)?(defined|none|undefined|string|mapping|iterable|number|sequence)\\b");

    /** Python string methods jinjava's strings lack; {@code x.name(args)} becomes the filter {@code x|py_name(args)}. */
    static final List<String> PY_METHODS = List.of("startswith", "endswith", "upper", "lower", "lstrip", "rstrip");
    private static final Pattern PY_METHOD_CALL = Pattern.compile("\\.(" + String.join("|", PY_METHODS) + ")\\(");
    private static final Pattern STEP_SLICE = Pattern.compile("\\[[^\\[\\]]*:[^\\[\\]]*:[^\\[\\]]*\\]");

    static String adapt(String t) {
        // a reversed copy, Python's x[::-1]: jinjava parses no slice step
        t = t.replace("[::-1]", "|reverse|list");
        Matcher step = STEP_SLICE.matcher(t);
        if (step.find()) {
            throw new BadRequestException("the chat template uses a slice with a step (" + step.group()
                    + "), which this library's Jinja engine cannot render");
        }
        t = PY_METHOD_CALL.matcher(t).replaceAll("|py_$1(");
        // Jinja2: "not x is defined" is not (x is defined); jinjava binds "not" tighter
        Matcher m = NOT_IS_DEFINED.matcher(t);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement("not (" + m.group(1) + " is " + (m.group(2) == null ? "" : m.group(2))
                    + m.group(3) + ")"));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** A Python string method as a filter: {@code py_startswith}, {@code py_upper}... */
    static final class PyStringMethod implements Filter {
        private final String method;

        PyStringMethod(String method) {
            this.method = method;
        }

        @Override
        public String getName() {
            return "py_" + method;
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, (Object[]) args, Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            String s = var == null ? "" : var.toString();
            String arg = args.length > 0 && args[0] != null ? args[0].toString() : null;
            return switch (method) {
                case "startswith" -> anyOf(args, s::startsWith);
                case "endswith" -> anyOf(args, s::endsWith);
                case "upper" -> s.toUpperCase(Locale.ROOT);
                case "lower" -> s.toLowerCase(Locale.ROOT);
                case "lstrip" -> {
                    int i = 0;
                    while (i < s.length() && (arg == null ? Character.isWhitespace(s.charAt(i)) : arg.indexOf(s.charAt(i)) >= 0)) {
                        i++;
                    }
                    yield s.substring(i);
                }
                case "rstrip" -> {
                    int j = s.length();
                    while (j > 0 && (arg == null ? Character.isWhitespace(s.charAt(j - 1)) : arg.indexOf(s.charAt(j - 1)) >= 0)) {
                        j--;
                    }
                    yield s.substring(0, j);
                }
                default -> throw new IllegalStateException(method);
            };
        }

        /** str.startswith accepts a string or a tuple of strings. */
        private static boolean anyOf(Object[] args, java.util.function.Predicate<String> test) {
            if (args.length == 0 || args[0] == null) {
                return false;
            }
            if (args[0] instanceof java.util.Collection<?> c) {
                return c.stream().anyMatch(x -> test.test(String.valueOf(x)));
            }
            return test.test(args[0].toString());
        }
    }

    /** Python's {@code json.dumps} as transformers' {@code tojson} calls it (ensure_ascii off, optional indent). */
    static final class PyToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, args, Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.get("indent");
            if (indent == null && args.length > 0) {
                indent = args[0];
            }
            return dumps(var, indent == null ? -1 : Integer.parseInt(String.valueOf(indent)));
        }
    }

    /** {@code json.dumps(v, ensure_ascii=False, indent=indent)}: ", " and ": " separators, or indented. */
    static String dumps(Object v, int indent) {
        try {
            if (indent < 0) {
                DefaultPrettyPrinter pp = new DefaultPrettyPrinter(Separators.createDefaultInstance()
                        .withObjectFieldValueSpacing(Separators.Spacing.AFTER).withObjectEntrySpacing(Separators.Spacing.AFTER)
                        .withArrayValueSpacing(Separators.Spacing.AFTER).withObjectEmptySeparator("").withArrayEmptySeparator(""));
                pp.indentObjectsWith(new DefaultPrettyPrinter.NopIndenter());
                pp.indentArraysWith(new DefaultPrettyPrinter.NopIndenter());
                return JSON.writer(pp).writeValueAsString(v);
            }
            DefaultIndenter ind = new DefaultIndenter(" ".repeat(indent), "\n");
            DefaultPrettyPrinter pp = new DefaultPrettyPrinter(Separators.createDefaultInstance()
                    .withObjectFieldValueSpacing(Separators.Spacing.AFTER).withObjectEmptySeparator("").withArrayEmptySeparator(""));
            pp.indentObjectsWith(ind);
            pp.indentArraysWith(ind);
            return JSON.writer(pp).without(SerializationFeature.FAIL_ON_EMPTY_BEANS).writeValueAsString(v);
        } catch (JsonProcessingException e) {
            throw new BadRequestException("tojson: " + e.getOriginalMessage());
        }
    }
}
