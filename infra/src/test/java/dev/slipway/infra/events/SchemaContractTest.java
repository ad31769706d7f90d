package dev.slipway.infra.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.slipway.infra.json.Json;
import java.io.File;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.net.URISyntaxException;
import java.net.URL;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The hand-written schemas and the Java records describe the same contract: same fields, same
 * required set, same enum values, same id shapes. Either side drifting fails here.
 */
class SchemaContractTest {

  private static final PropertyNamingStrategies.SnakeCaseStrategy SNAKE =
      new PropertyNamingStrategies.SnakeCaseStrategy();

  static Stream<Class<?>> eventClasses() {
    return Topics.ALL.stream().flatMap(t -> t.eventTypes().values().stream());
  }

  @Test
  @DisplayName("EventTypes has one constant per event record, and each type is on one topic only")
  void eventTypeConstantsMatchRecords() throws IllegalAccessException {
    Set<String> constants = new TreeSet<>();
    for (Field f : EventTypes.class.getDeclaredFields()) {
      if (Modifier.isPublic(f.getModifiers()) && Modifier.isStatic(f.getModifiers())) {
        constants.add((String) f.get(null));
      }
    }
    List<String> types = eventClasses().map(Schemas::typeOf).toList();

    assertEquals(types.size(), Set.copyOf(types).size(), "a type is on two topics: " + types);
    assertEquals(constants, new TreeSet<>(types));
    for (String type : types) {
      assertTrue(type.matches("dev\\.slipway\\.[a-z]+\\.[a-z_]+"), type);
    }
  }

  @Test
  @DisplayName("topics have the documented names, and only the credentials topic is compacted")
  void topicNames() {
    assertEquals(
        List.of(
            "slipway.build.commands",
            "slipway.build.events",
            "slipway.build.logs",
            "slipway.deploy.commands",
            "slipway.deploy.events",
            "slipway.container.events",
            "slipway.registry.credentials"),
        Topics.ALL.stream().map(Topic::name).toList());
    assertEquals(
        List.of(Topics.REGISTRY_CREDENTIALS),
        Topics.ALL.stream().filter(Topic::compacted).toList());
    assertEquals(Topics.DEPLOY_EVENTS, Topics.byName("slipway.deploy.events").orElseThrow());
    assertTrue(Topics.byName("slipway.nope").isEmpty());
  }

  @Test
  @DisplayName("every schema file in the jar belongs to an event type: no orphans")
  void noOrphanSchemaFiles() throws URISyntaxException {
    URL dir = getClass().getResource("/schemas");
    String[] files = new File(dir.toURI()).list();
    Set<String> expected =
        eventClasses().map(Schemas::fileName).collect(Collectors.toCollection(TreeSet::new));

    assertEquals(expected, new TreeSet<>(Arrays.asList(files)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("eventClasses")
  @DisplayName("a schema lists exactly the record's fields and requires exactly the non-null ones")
  void schemaMatchesRecord(Class<?> eventClass) {
    JsonNode schema = SchemaFiles.tree(eventClass);
    compare(eventClass, SampleEvents.of(eventClass.asSubclass(SlipwayEvent.class)), schema, schema);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("eventClasses")
  @DisplayName("the JSON of a full sample has exactly the schema's properties, nothing extra")
  void serializedFieldsAreTheSchemaProperties(Class<?> eventClass) {
    JsonNode schema = SchemaFiles.tree(eventClass);
    JsonNode json =
        Json.mapper().valueToTree(SampleEvents.of(eventClass.asSubclass(SlipwayEvent.class)));

    assertEquals(names(schema.path("properties").fieldNames()), names(json.fieldNames()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("eventClasses")
  @DisplayName("ids, app names and container ids have the shapes Names declares")
  void idPatternsMatchNames(Class<?> eventClass) {
    JsonNode schema = SchemaFiles.tree(eventClass);
    List<JsonNode> objects = new ArrayList<>(List.of(schema));
    schema.path("$defs").forEach(objects::add);
    for (JsonNode object : objects) {
      JsonNode p = object.path("properties");
      expectPattern(p, "build_id", Names.ID_REGEX);
      expectPattern(p, "deployment_id", Names.ID_REGEX);
      expectPattern(p, "registry_credential", Names.ID_REGEX);
      expectPattern(p, "app", Names.APP_REGEX);
      expectPattern(p, "container_id", Names.CONTAINER_ID_REGEX);
      for (String d : List.of("interval", "timeout", "start_period", "deploy_timeout")) {
        expectPattern(p, d, DeploySpec.HealthSpec.DURATION_REGEX);
      }
      expectPattern(p, "memory", DeploySpec.Resources.MEMORY_REGEX);
    }
  }

  @Test
  @DisplayName("the deploy spec is described identically in every schema that carries one")
  void deploySpecDefinitionsAgree() {
    List<Class<?>> carriers =
        eventClasses().filter(c -> SchemaFiles.tree(c).path("$defs").has("deploy_spec")).toList();
    assertEquals(4, carriers.size(), "build requested/succeeded, deploy requested/succeeded");
    JsonNode first = SchemaFiles.tree(carriers.getFirst()).path("$defs");
    for (Class<?> c : carriers) {
      assertEquals(first, SchemaFiles.tree(c).path("$defs"), c.getName());
    }
  }

  private static void expectPattern(JsonNode properties, String field, String regex) {
    if (properties.has(field)) {
      assertEquals(regex, properties.path(field).path("pattern").asText(), field);
    }
  }

  /** Checks a record class against a schema object, recursing into nested records. */
  private static void compare(Class<?> recordClass, Object sample, JsonNode object, JsonNode root) {
    String where = recordClass.getSimpleName();
    RecordComponent[] components = recordClass.getRecordComponents();
    JsonNode properties = object.path("properties");

    Set<String> fields = new TreeSet<>();
    Set<String> required = new TreeSet<>();
    for (int i = 0; i < components.length; i++) {
      RecordComponent component = components[i];
      String field = SNAKE.translate(component.getName());
      fields.add(field);
      if (refusesNull(recordClass, sample, i)) {
        required.add(field);
      }
      JsonNode property = resolve(properties.path(field), root);
      Object value = get(component, sample);
      Class<?> type = component.getType();
      if (type.isEnum()) {
        assertEquals(wireValues(type), texts(property.path("enum")), where + "." + field);
      } else if (type.isRecord()) {
        compare(type, value, property, root);
      } else if (type == List.class && elementType(component).isRecord()) {
        compare(
            elementType(component),
            ((List<?>) value).getFirst(),
            resolve(property.path("items"), root),
            root);
      }
    }
    assertEquals(fields, names(properties.fieldNames()), where + " fields vs schema properties");
    assertEquals(required, texts(object.path("required")), where + " non-null fields vs required");
  }

  private static boolean refusesNull(Class<?> recordClass, Object sample, int index) {
    RecordComponent[] components = recordClass.getRecordComponents();
    if (components[index].getType().isPrimitive()) {
      return true;
    }
    Object[] args = new Object[components.length];
    Class<?>[] types = new Class<?>[components.length];
    for (int i = 0; i < components.length; i++) {
      args[i] = i == index ? null : get(components[i], sample);
      types[i] = components[i].getType();
    }
    try {
      Constructor<?> constructor = recordClass.getDeclaredConstructor(types);
      constructor.newInstance(args);
      return false;
    } catch (InvocationTargetException e) {
      return true;
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  private static Object get(RecordComponent component, Object record) {
    try {
      return component.getAccessor().invoke(record);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  private static JsonNode resolve(JsonNode node, JsonNode root) {
    if (node.isMissingNode()) {
      fail("schema has no property for a record field");
    }
    String ref = node.path("$ref").asText("");
    if (ref.isEmpty()) {
      return node;
    }
    assertTrue(ref.startsWith("#/"), "only local refs: " + ref);
    JsonNode target = root.at(ref.substring(1));
    assertFalse(target.isMissingNode(), "dangling $ref " + ref);
    return target;
  }

  private static Class<?> elementType(RecordComponent component) {
    return (Class<?>) ((ParameterizedType) component.getGenericType()).getActualTypeArguments()[0];
  }

  private static Set<String> wireValues(Class<?> enumType) {
    return Arrays.stream(enumType.getEnumConstants())
        .map(c -> Json.mapper().valueToTree(c).asText())
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private static Set<String> texts(JsonNode array) {
    Set<String> texts = new TreeSet<>();
    array.forEach(n -> texts.add(n.asText()));
    return texts;
  }

  private static Set<String> names(Iterator<String> it) {
    Set<String> names = new TreeSet<>();
    it.forEachRemaining(names::add);
    return names;
  }
}
