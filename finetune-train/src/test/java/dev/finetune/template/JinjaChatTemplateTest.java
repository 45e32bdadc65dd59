package dev.finetune.template;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.BadRequestException;
import dev.finetune.chat.ChatMessage;
import dev.finetune.tokenizer.ByteLevelBpe;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JinjaChatTemplateTest {
    private static final ObjectMapper OM = new ObjectMapper();

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> messages(JsonNode msgs) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (JsonNode m : msgs) {
            out.add(OM.convertValue(m, LinkedHashMap.class));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"smollm2", "qwen2.5", "llama3.2"})
    @SuppressWarnings("unchecked")
    void rendersEveryReferenceConversationAsTransformersDoes(String family) {
        JinjaChatTemplate t = ChatTemplates.find(ReferenceFamilies.dir(family)).orElseThrow();
        ByteLevelBpe tok = ReferenceFamilies.tokenizer(family);
        for (JsonNode c : ReferenceFamilies.jsonl(family, "chat_templates.jsonl")) {
            Map<String, Object> kw = c.has("template_kwargs") ? OM.convertValue(c.get("template_kwargs"), LinkedHashMap.class) : Map.of();
            String got = t.renderMaps(messages(c.get("messages")), c.path("add_generation_prompt").asBoolean(), kw);
            assertEquals(c.get("rendered").asText(), got, family);
            int[] want = new int[c.get("rendered_ids").size()];
            for (int i = 0; i < want.length; i++) {
                want[i] = c.get("rendered_ids").get(i).asInt();
            }
            assertArrayEquals(want, tok.encode(got, true, false), family + " ids of the rendered text");
        }
    }

    @Test
    void cohereRolesMapToTheTemplatesRoles() {
        JinjaChatTemplate t = ChatTemplates.find(ReferenceFamilies.dir("qwen2.5")).orElseThrow();
        String s = t.render(List.of(new ChatMessage(dev.finetune.chat.ChatRole.of("System"), "Be brief."),
                new ChatMessage(dev.finetune.chat.ChatRole.of("User"), "Hi"),
                new ChatMessage(dev.finetune.chat.ChatRole.of("Chatbot"), "Hello.")), false, Map.of());
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n", s);
    }

    @Test
    void raiseExceptionFailsWithTheTemplatesMessage() {
        // Gemma's guard, as its template writes it
        String gemma = "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
                + "{% for message in messages %}{{ '<start_of_turn>' + message['role'] + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}";
        JinjaChatTemplate t = new JinjaChatTemplate(gemma, Map.of("bos_token", "<bos>"));
        BadRequestException e = assertThrows(BadRequestException.class,
                () -> t.render(List.of(ChatMessage.system("x"), ChatMessage.user("y")), true, Map.of()));
        assertTrue(e.getMessage().contains("System role not supported"), e.getMessage());
        assertEquals("<bos><start_of_turn>user\ny<end_of_turn>\n", t.render(List.of(ChatMessage.user(" y ")), false, Map.of()));
    }

    @Test
    void llamaTemplateWithoutADateUsesToday() {
        JinjaChatTemplate t = ChatTemplates.find(ReferenceFamilies.dir("llama3.2")).orElseThrow();
        String s = t.render(List.of(ChatMessage.user("Hi")), true, Map.of());
        String today = JinjaChatTemplate.strftime(java.time.ZonedDateTime.now(), "%d %b %Y");
        assertTrue(s.contains("Today Date: " + today + "\n"), s);
    }

    @Test
    void tojsonPrintsAsPythonsJsonDumps() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "f");
        m.put("args", List.of(1, "é"));
        assertEquals("{\"name\": \"f\", \"args\": [1, \"é\"]}", JinjaChatTemplate.dumps(m, -1));
        assertEquals("{\n    \"name\": \"f\",\n    \"args\": [\n        1,\n        \"é\"\n    ]\n}", JinjaChatTemplate.dumps(m, 4));
        JinjaChatTemplate t = new JinjaChatTemplate("{{ x | tojson }}|{{ x | tojson(indent=2) }}", Map.of());
        assertEquals("{\"name\": \"f\", \"args\": [1, \"é\"]}|{\n  \"name\": \"f\",\n  \"args\": [\n    1,\n    \"é\"\n  ]\n}",
                t.renderMaps(List.of(), false, Map.of("x", m)));
    }

    private static String r(String template) {
        return new JinjaChatTemplate(template, Map.of()).renderMaps(List.of(), false, Map.of());
    }

    @Test
    void pythonConstructsTemplatesUseRenderAsInJinja2() {
        assertEquals("True|False|AB|ab|x  |  x|x", r("{{ 'abc'.startswith('a') }}|{{ 'abc'.endswith(('x', 'y')) }}|{{ 'ab'.upper() }}"
                + "|{{ 'AB'.lower() }}|{{ '  x  '.lstrip() }}|{{ '  x  '.rstrip() }}|{{ '  x  '.strip() }}")
                .replace("true", "True").replace("false", "False"));
        assertEquals("3,2,1", r("{{ [1,2,3][::-1]|join(',') }}"));
        assertEquals("[2, 3]|bc", r("{{ [1,2,3][1:] }}|{{ 'abc'[1:] }}"));
        assertEquals("yes", r("{% set ns = namespace(found=false) %}{% for m in [1,2] %}{% set ns.found = true %}{% endfor %}"
                + "{% if ns.found %}yes{% endif %}"));
        assertEquals("true", r("{{ not x is defined }}"));
        assertEquals("0F1L", r("{% for i in [1,2] %}{{ loop.index0 }}{% if loop.first %}F{% endif %}{% if loop.last %}L{% endif %}{% endfor %}"));
        assertEquals("a=1;", r("{% for k, v in {'a': 1}.items() %}{{ k }}={{ v }};{% endfor %}"));
        BadRequestException e = assertThrows(BadRequestException.class, () -> r("{{ [1,2,3][::2] }}"));
        assertTrue(e.getMessage().contains("[::2]"), e.getMessage());
    }
}
