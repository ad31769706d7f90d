package dev.slipway.builder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slipway.infra.events.LogStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class LineSplitterTest {

  private final List<String> lines = new ArrayList<>();
  private final LineSplitter splitter =
      new LineSplitter((stream, text) -> lines.add(stream + ":" + text), LogStream.STDOUT);

  @Test
  @DisplayName("\\n, \\r\\n and a bare \\r each end one line; empty lines are kept")
  void terminators() {
    splitter.accept("a\nb\r\nc\rd\n\ne");
    splitter.finish();

    assertThat(lines)
        .containsExactly("STDOUT:a", "STDOUT:b", "STDOUT:c", "STDOUT:d", "STDOUT:", "STDOUT:e");
  }

  @Test
  @DisplayName("a line split across chunks, and \\r\\n split between two chunks, make one line")
  void acrossChunks() {
    splitter.accept("hel");
    splitter.accept("lo\r");
    splitter.accept("\nwor");
    splitter.accept("ld\n");

    assertThat(lines).containsExactly("STDOUT:hello", "STDOUT:world");
  }

  @Test
  @DisplayName("finish emits an unterminated tail once, and nothing when there is none")
  void finish() {
    splitter.accept("done\n");
    splitter.finish();
    splitter.accept("tail");
    splitter.finish();
    splitter.finish();

    assertThat(lines).containsExactly("STDOUT:done", "STDOUT:tail");
  }

  @Test
  @DisplayName("a line longer than MAX_LINE is cut there and marked with an ellipsis")
  void longLine() {
    String longer = "x".repeat(LineSplitter.MAX_LINE + 500);
    splitter.accept(longer.substring(0, 3000));
    splitter.accept(longer.substring(3000) + "\nnext\n");
    splitter.accept("y".repeat(LineSplitter.MAX_LINE) + "\n");

    assertThat(lines)
        .containsExactly(
            "STDOUT:" + "x".repeat(LineSplitter.MAX_LINE) + "…",
            "STDOUT:next",
            "STDOUT:" + "y".repeat(LineSplitter.MAX_LINE));
  }

  @Test
  @DisplayName("however the output is cut into chunks, the lines are those of a char-by-char split")
  void anyChunking() {
    Random random = new Random(42);
    StringBuilder text = new StringBuilder();
    String[] pieces = {"a", "bc", "\n", "\r", "\r\n", "", "é", "line of text", "\n\n"};
    for (int i = 0; i < 2_000; i++) {
      text.append(pieces[random.nextInt(pieces.length)]);
    }
    String output = text.toString();
    List<String> expected = charByChar(output);
    assertThat(expected).hasSizeGreaterThan(100);

    for (int round = 0; round < 50; round++) {
      lines.clear();
      LineSplitter chunked = new LineSplitter((s, t) -> lines.add(t), LogStream.STDOUT);
      int at = 0;
      while (at < output.length()) {
        int end = Math.min(output.length(), at + 1 + random.nextInt(40));
        chunked.accept(output.substring(at, end));
        at = end;
      }
      chunked.finish();
      assertThat(lines).as("round %d", round).isEqualTo(expected);
    }
  }

  /** The plain definition: every \n ends a line unless it follows \r, every \r ends one. */
  private static List<String> charByChar(String output) {
    List<String> result = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    char previous = 0;
    for (char c : output.toCharArray()) {
      if (c == '\n' && previous == '\r') {
        // the \r ended it already
      } else if (c == '\n' || c == '\r') {
        result.add(line.toString());
        line.setLength(0);
      } else {
        line.append(c);
      }
      previous = c;
    }
    if (!line.isEmpty()) {
      result.add(line.toString());
    }
    return result;
  }
}
