<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Support;

/**
 * What Drush makes of a command method and of a command line, restated.
 *
 * The module's Drush tests run the command methods with stand-ins of the
 * Drush classes, so they never see how Drush builds the console command
 * from the method signature, or how it parses argv into the method's
 * arguments. A signature such as `array $names = []` passed them all and
 * failed on every real site ("Not enough arguments (missing: "names")",
 * "Argument #1 ($names) must be of type array, string given"). This class
 * restates those rules, faithfully and nothing more, from the sources:
 *
 * - consolidation/annotated-command 4.9.2, commit
 *   b5255dcbee1de95036185062a103dabc622224de (Drush 12.5 and 13 require
 *   ^4.9.2):
 *   - src/Parser/CommandInfo.php: constructFromClassAndMethod(),
 *     determineOptionsFromParameters(), lastParameterIsOptionsArray(),
 *     determineAgumentClassifications(), addParameterToResult(), isAssoc(),
 *     addArgumentDescription(), addOptionDescription(),
 *     addOptionOrArgumentDescription(), splitOutDefault(),
 *     findMatchingOption(), addImplicitNoOptions(), createInputOptions();
 *   - src/Parser/DefaultsWithDescriptions.php: __construct(), add(),
 *     setDefaultValue(), hasDefault(), approximatelyMatchingKey(),
 *     removeMatching();
 *   - src/Parser/Internal/AttributesDocBlockParser.php: every attribute's
 *     handle(), in declaration order; src/Attributes/{Command,Argument,
 *     Option,Usage}.php: what each handle() passes on;
 *     src/Parser/Internal/DefaultValueFromString.php;
 *   - src/AnnotatedCommand.php: setCommandArgumentsFromParameters(),
 *     getCommandArgumentMode(), createCommandData();
 *   - src/CommandData.php: options(), getAdjustedOptions(),
 *     shouldConvertOptionToFalse(), cacheSpecialDefaults(),
 *     getArgsWithoutAppName(), getArgsAndOptions();
 *   - src/ParameterInjection.php: args(); src/CommandProcessor.php:
 *     runCommandCallback() (call_user_func_array() with array_values()).
 * - symfony/console 7.0.4, commit 6b099f3306f7c9c2d2786ed736d0026b2903205f
 *   (the same logic in 6.4, 0d9e4eb5ad413075624378f474c4167ea202de78):
 *   Input/ArgvInput.php (parse(), parseToken(), parseShortOption(),
 *   parseShortOptionSet(), parseLongOption(), parseArgument(),
 *   addShortOption(), addLongOption(), hasParameterOption()),
 *   Input/Input.php (validate(), getArguments(), getOptions()),
 *   Input/InputArgument.php and Input/InputOption.php (modes, setDefault()),
 *   Input/InputDefinition.php (addArgument(), addOption()),
 *   Application::getDefaultInputDefinition(),
 *   Command::mergeApplicationDefinition().
 * - drush-ops/drush 13.x, commit 3d1ebc7d470b90d1718d236ebbaaa1def909cc0c:
 *   src/Attributes/*.php are empty subclasses of the annotated-command
 *   attributes; DrushCommands::REQ = InputOption::VALUE_REQUIRED (2),
 *   OPT = InputOption::VALUE_OPTIONAL (4).
 *
 * Not restated: Drush's own global options (--uri, --yes, ...; only
 * Symfony's application options are in the definition), hooks, option
 * shortcuts given as short options other than Symfony's, and PHP's weak
 * mode: the real call comes from call_user_func_array() (coercive), while
 * typeCheck() checks as under strict_types, which is stricter.
 */
final class AnnotatedCommandRules {

  // Symfony\Component\Console\Input\InputArgument.
  public const ARGUMENT_REQUIRED = 1;
  public const ARGUMENT_OPTIONAL = 2;
  public const ARGUMENT_IS_ARRAY = 4;

  // Symfony\Component\Console\Input\InputOption.
  public const VALUE_NONE = 1;
  public const VALUE_REQUIRED = 2;
  public const VALUE_OPTIONAL = 4;
  public const VALUE_IS_ARRAY = 8;
  public const VALUE_NEGATABLE = 16;

  private const ATTRIBUTE_NAMESPACES = ['Drush\\Attributes\\', 'Consolidation\\AnnotatedCommand\\Attributes\\'];

  /**
   * The console command Drush builds from a command method.
   *
   * @return array{
   *   name: string,
   *   aliases: list<string>,
   *   usages: list<string>,
   *   injected: list<string>,
   *   parameterMap: array<string, string|false>,
   *   arguments: array<string, array{mode: int, default: mixed}>,
   *   options: array<string, array{mode: int, default: mixed, shortcut: ?string}>
   * }
   *
   * @throws \LogicException
   *   Where Symfony refuses the definition (a default for a required
   *   argument, an argument after an array argument, ...).
   */
  public static function definition(\ReflectionMethod $method): array {
    $params = $method->getParameters();

    // CommandInfo::constructFromClassAndMethod().
    $optionsFromParameters = self::determineOptionsFromParameters($params);
    $simpleOptionParametersAllowed = $optionsFromParameters === [];
    $options = self::defaults($optionsFromParameters, FALSE);

    // CommandInfo::determineAgumentClassifications().
    $arguments = self::defaults([], NULL);
    $injected = [];
    $parameterMap = [];
    if (self::lastParameterIsOptionsArray($params)) {
      array_pop($params);
    }
    while ($params !== [] && $params[0]->getType() instanceof \ReflectionNamedType && !$params[0]->getType()->isBuiltin()) {
      $injected[] = $params[0]->getType()->getName();
      array_shift($params);
    }
    foreach ($params as $param) {
      $parameterMap[$param->getName()] = FALSE;
      self::addParameterToResult($arguments, $param);
    }

    // AttributesDocBlockParser::parse(): each attribute's handle().
    $name = self::convertName($method->getName());
    $aliases = [];
    $usages = [];
    foreach ($method->getAttributes() as $attribute) {
      $args = $attribute->getArguments();
      switch (self::attributeName($attribute->getName())) {
        case 'Command':
          // Command::handle() reads the named arguments.
          $name = (string) ($args['name'] ?? '');
          $aliases = array_values((array) ($args['aliases'] ?? []));
          break;

        case 'Argument':
          $instance = $attribute->newInstance();
          self::addOptionOrArgumentDescription($arguments, $instance->name, $instance->description, NULL);
          break;

        case 'Option':
          // CommandInfo::addOptionDescription().
          $instance = $attribute->newInstance();
          $variableName = self::findMatchingOption($options, $instance->name);
          $defaultFromParameter = NULL;
          $parameterName = self::approximatelyMatchingKey($arguments, $variableName);
          if ($simpleOptionParametersAllowed && $parameterName !== '') {
            $defaultFromParameter = $arguments['values'][$parameterName];
            unset($arguments['values'][$parameterName]);
            $parameterMap[$parameterName] = $variableName;
          }
          self::addOptionOrArgumentDescription($options, $variableName, $instance->description, $defaultFromParameter);
          break;

        case 'Usage':
          // Usage::handle() reads the named argument 'name'.
          $usages[] = (string) ($args['name'] ?? '');
          break;
      }
    }

    // AnnotatedCommand::setCommandArgumentsFromParameters() and Symfony's
    // InputArgument / InputDefinition::addArgument().
    $inputArguments = [];
    $lastArray = NULL;
    $lastOptional = NULL;
    foreach ($arguments['values'] as $argument => $default) {
      $hasDefault = array_key_exists($argument, $arguments['hasDefault']);
      $mode = !$hasDefault ? self::ARGUMENT_REQUIRED : (is_array($default) ? self::ARGUMENT_IS_ARRAY : self::ARGUMENT_OPTIONAL);
      self::addInputArgument($inputArguments, $argument, $mode, $default, $lastArray, $lastOptional);
    }

    return [
      'name' => $name,
      'aliases' => $aliases,
      'usages' => $usages,
      'injected' => $injected,
      'parameterMap' => $parameterMap,
      'arguments' => $inputArguments,
      'options' => self::createInputOptions($options),
    ];
  }

  /**
   * Symfony's application definition merged in, as the command runs with it.
   *
   * Command::mergeApplicationDefinition(): the application's arguments
   * ('command') first, the command's options plus the application's.
   *
   * @param array<string, mixed> $definition
   *   From definition().
   *
   * @return array{arguments: array<string, array{mode: int, default: mixed}>, options: array<string, array{mode: int, default: mixed, shortcut: ?string}>}
   */
  public static function fullDefinition(array $definition): array {
    // Application::getDefaultInputDefinition() (symfony/console 7.0).
    $arguments = ['command' => ['mode' => self::ARGUMENT_REQUIRED, 'default' => NULL]];
    $application = [
      'help' => ['mode' => self::VALUE_NONE, 'default' => FALSE, 'shortcut' => 'h'],
      'quiet' => ['mode' => self::VALUE_NONE, 'default' => FALSE, 'shortcut' => 'q'],
      'verbose' => ['mode' => self::VALUE_NONE, 'default' => FALSE, 'shortcut' => 'v|vv|vvv'],
      'version' => ['mode' => self::VALUE_NONE, 'default' => FALSE, 'shortcut' => 'V'],
      'ansi' => ['mode' => self::VALUE_NEGATABLE, 'default' => NULL, 'shortcut' => NULL],
      'no-interaction' => ['mode' => self::VALUE_NONE, 'default' => FALSE, 'shortcut' => 'n'],
    ];
    $lastArray = NULL;
    $lastOptional = NULL;
    foreach ($definition['arguments'] as $name => $argument) {
      self::addInputArgument($arguments, $name, $argument['mode'], $argument['default'], $lastArray, $lastOptional);
    }
    // InputDefinition::setOptions() with the command's, then addOptions()
    // with the application's: each one through addOption().
    $options = [];
    $negations = [];
    foreach ([$definition['options'], $application] as $set) {
      foreach ($set as $name => $option) {
        if (isset($options[$name]) && $options[$name] !== $option || isset($negations[$name])) {
          throw new \LogicException(sprintf('An option named "%s" already exists.', $name));
        }
        foreach (self::shortcuts($option) as $shortcut) {
          $owner = self::optionForShortcut(['arguments' => [], 'options' => $options], $shortcut);
          if ($owner !== NULL && $options[$owner] !== $option) {
            throw new \LogicException(sprintf('An option with shortcut "%s" already exists.', $shortcut));
          }
        }
        $options[$name] = $option;
        if (($option['mode'] & self::VALUE_NEGATABLE) !== 0) {
          if (isset($options['no-' . $name])) {
            throw new \LogicException(sprintf('An option named "%s" already exists.', 'no-' . $name));
          }
          $negations['no-' . $name] = $name;
        }
      }
    }

    return ['arguments' => $arguments, 'options' => $options];
  }

  /**
   * Parses a command line as Symfony's ArgvInput, then Input::validate().
   *
   * @param array<string, mixed> $definition
   *   From definition().
   * @param list<string> $tokens
   *   argv without the program name: the command name first.
   *
   * @return array{arguments: array<string, mixed>, options: array<string, mixed>, tokens: list<string>}
   *   Input::getArguments() and Input::getOptions(): defaults merged
   *   with what was given.
   *
   * @throws \RuntimeException
   *   With Symfony's message, e.g. 'Not enough arguments (missing: "names").'.
   */
  public static function parse(array $definition, array $tokens): array {
    $full = self::fullDefinition($definition);
    $command = $tokens[0] ?? '';
    if ($command !== $definition['name'] && !in_array($command, $definition['aliases'], TRUE)) {
      throw new \RuntimeException(sprintf('Command "%s" is not defined.', $command));
    }
    $state = ['arguments' => [], 'options' => [], 'parsed' => $tokens];
    $parseOptions = TRUE;
    while (NULL !== $token = array_shift($state['parsed'])) {
      // ArgvInput::parseToken().
      if ($parseOptions && $token === '') {
        self::parseArgument($full, $state, $token);
      }
      elseif ($parseOptions && $token === '--') {
        $parseOptions = FALSE;
      }
      elseif ($parseOptions && str_starts_with($token, '--')) {
        self::parseLongOption($full, $state, $token);
      }
      elseif ($parseOptions && $token[0] === '-' && $token !== '-') {
        self::parseShortOption($full, $state, $token);
      }
      else {
        self::parseArgument($full, $state, $token);
      }
    }

    // Input::validate().
    $missing = [];
    foreach ($full['arguments'] as $name => $argument) {
      if (!array_key_exists($name, $state['arguments']) && ($argument['mode'] & self::ARGUMENT_REQUIRED) !== 0) {
        $missing[] = $name;
      }
    }
    if ($missing !== []) {
      throw new \RuntimeException(sprintf('Not enough arguments (missing: "%s").', implode(', ', $missing)));
    }

    $argumentDefaults = array_map(static fn (array $a) => $a['default'], $full['arguments']);
    $optionDefaults = array_map(static fn (array $o) => $o['default'], $full['options']);

    return [
      'arguments' => array_merge($argumentDefaults, $state['arguments']),
      'options' => array_merge($optionDefaults, $state['options']),
      'tokens' => $tokens,
    ];
  }

  /**
   * The PHP arguments of the call, as annotated-command passes them.
   *
   * CommandData::getArgsAndOptions() (arguments in parameter-map order,
   * the command name dropped, then the options, adjusted by
   * CommandData::options()) after the injected instances
   * (ParameterInjection::args()), positionally (array_values()).
   *
   * @param array<string, mixed> $definition
   *   From definition().
   * @param array{arguments: array<string, mixed>, options: array<string, mixed>, tokens: list<string>} $input
   *   From parse().
   *
   * @return list<mixed>
   *   Injected instances are null here.
   */
  public static function callArguments(array $definition, array $input): array {
    // CommandData::getArgsWithoutAppName().
    $args = $input['arguments'];
    if (array_key_exists('command', $args)) {
      array_shift($args);
    }
    // CommandData::getArgsAndOptions().
    if ($definition['parameterMap'] !== []) {
      $mapped = [];
      foreach ($definition['parameterMap'] as $name => $mappedName) {
        $mapped[$name] = $mappedName !== FALSE ? $input['options'][$mappedName] ?? NULL : array_shift($args);
      }
      $args = $mapped;
    }
    $args['options'] = self::adjustedOptions($definition, $input);

    return array_values(array_merge(array_fill(0, count($definition['injected']), NULL), $args));
  }

  /**
   * Checks each call argument against the declared parameter type, as PHP
   * does under strict_types.
   *
   * @param list<mixed> $args
   *   From callArguments().
   *
   * @throws \TypeError|\ArgumentCountError
   *   With PHP's message.
   */
  public static function typeCheck(\ReflectionMethod $method, array $args, int $injected = 0): void {
    $function = $method->getDeclaringClass()->getName() . '::' . $method->getName() . '()';
    foreach ($method->getParameters() as $i => $parameter) {
      if ($i < $injected) {
        continue;
      }
      if (!array_key_exists($i, $args)) {
        if (!$parameter->isOptional()) {
          throw new \ArgumentCountError(sprintf('Too few arguments to function %s, %d passed and at least %d expected', $function, count($args), $method->getNumberOfRequiredParameters()));
        }
        continue;
      }
      $type = $parameter->getType();
      if ($type !== NULL && !self::accepts($type, $args[$i])) {
        throw new \TypeError(sprintf('%s: Argument #%d ($%s) must be of type %s, %s given', $function, $i + 1, $parameter->getName(), (string) $type, get_debug_type($args[$i])));
      }
    }
  }

  /**
   * A command line, from parsing to the type-checked call arguments.
   *
   * @param string $commandLine
   *   E.g. 'drush entra:provision jdoe --dry-run'.
   *
   * @return list<mixed>
   *   The call arguments (see callArguments()).
   */
  public static function invoke(\ReflectionMethod $method, string $commandLine): array {
    $definition = self::definition($method);
    $tokens = self::tokenize($commandLine);
    if (($tokens[0] ?? '') === 'drush') {
      // ArgvInput::__construct() strips the application name.
      array_shift($tokens);
    }
    $args = self::callArguments($definition, self::parse($definition, $tokens));
    self::typeCheck($method, $args, count($definition['injected']));

    return $args;
  }

  /**
   * Splits a command line on spaces, honouring '...' and "..." quoting.
   *
   * @return list<string>
   */
  public static function tokenize(string $commandLine): array {
    preg_match_all('/(?:[^\s\'"]+|\'[^\']*\'|"[^"]*")+/', $commandLine, $matches);

    return array_map(static fn (string $t): string => (string) preg_replace('/\'([^\']*)\'|"([^"]*)"/', '$1$2', $t), $matches[0]);
  }

  /**
   * @param array<string, mixed> $values
   *
   * @return array{values: array<string, mixed>, hasDefault: array<string, mixed>, defaultDefault: mixed}
   */
  private static function defaults(array $values, mixed $defaultDefault): array {
    // DefaultsWithDescriptions::__construct().
    return [
      'values' => $values,
      'hasDefault' => array_filter($values, static fn ($value): bool => isset($value)),
      'defaultDefault' => $defaultDefault,
    ];
  }

  /**
   * DefaultsWithDescriptions::add().
   *
   * @param array{values: array<string, mixed>, hasDefault: array<string, mixed>, defaultDefault: mixed} $set
   */
  private static function add(array &$set, string $key, mixed $defaultValue = NULL): void {
    if (!array_key_exists($key, $set['values']) || isset($defaultValue)) {
      $set['values'][$key] = isset($defaultValue) ? $defaultValue : $set['defaultDefault'];
    }
  }

  /**
   * DefaultsWithDescriptions::setDefaultValue().
   *
   * @param array{values: array<string, mixed>, hasDefault: array<string, mixed>, defaultDefault: mixed} $set
   */
  private static function setDefaultValue(array &$set, string $key, mixed $defaultValue): void {
    $set['values'][$key] = $defaultValue;
    $set['hasDefault'][$key] = TRUE;
  }

  /**
   * DefaultsWithDescriptions::approximatelyMatchingKey().
   *
   * @param array{values: array<string, mixed>, hasDefault: array<string, mixed>, defaultDefault: mixed} $set
   */
  private static function approximatelyMatchingKey(array $set, string $key): string {
    $simplify = static fn (string $k): string => strtolower((string) preg_replace('#[-_]#', '', $k));
    foreach (array_keys($set['values']) as $k) {
      if ($simplify($key) === $simplify((string) $k)) {
        return (string) $k;
      }
    }

    return '';
  }

  /**
   * CommandInfo::isAssoc(): [] counts as associative (range(0, -1) is [0, -1]).
   */
  private static function isAssoc(mixed $arr): bool {
    if (!is_array($arr)) {
      return FALSE;
    }

    return array_keys($arr) !== range(0, count($arr) - 1);
  }

  /**
   * CommandInfo::determineOptionsFromParameters().
   *
   * @param list<\ReflectionParameter> $params
   *
   * @return array<string, mixed>
   */
  private static function determineOptionsFromParameters(array $params): array {
    if ($params === []) {
      return [];
    }
    $param = end($params);
    if (!$param->isDefaultValueAvailable()) {
      return [];
    }
    if (!self::isAssoc($param->getDefaultValue())) {
      return [];
    }

    return $param->getDefaultValue();
  }

  /**
   * CommandInfo::lastParameterIsOptionsArray().
   *
   * @param list<\ReflectionParameter> $params
   */
  private static function lastParameterIsOptionsArray(array $params): bool {
    if ($params === []) {
      return FALSE;
    }
    $param = end($params);
    if (!$param->isDefaultValueAvailable()) {
      return FALSE;
    }

    return is_array($param->getDefaultValue());
  }

  /**
   * CommandInfo::addParameterToResult().
   *
   * @param array{values: array<string, mixed>, hasDefault: array<string, mixed>, defaultDefault: mixed} $result
   */
  private static function addParameterToResult(array &$result, \ReflectionParameter $param): void {
    $type = $param->getType();
    if ($type !== NULL && (!$type instanceof \ReflectionNamedType || !$type->isBuiltin())) {
      return;
    }
    self::add($result, $param->getName());
    if ($param->isDefaultValueAvailable()) {
      $defaultValue = $param->getDefaultValue();
      if (!self::isAssoc($defaultValue)) {
        self::setDefaultValue($result, $param->getName(), $defaultValue);
      }
    }
    elseif ($type instanceof \ReflectionNamedType && $type->getName() === 'array') {
      self::setDefaultValue($result, $param->getName(), []);
    }
  }

  /**
   * CommandInfo::addOptionOrArgumentDescription() (descriptions dropped).
   *
   * @param array{values: array<string, mixed>, hasDefault: array<string, mixed>, defaultDefault: mixed} $set
   */
  private static function addOptionOrArgumentDescription(array &$set, string $variableName, string $description, mixed $defaultFromParameter): void {
    // CommandInfo::splitOutDefault(): a description ending in
    // "Default: x" sets the default (case-sensitive).
    $defaultValue = NULL;
    if (preg_match('#(.*)(Default: *)(.*)#', trim($description), $matches)) {
      $fromString = trim($matches[3]);
      $defaultValue = array_key_exists($fromString, ['null' => 0, 'true' => 0, 'false' => 0, "''" => 0, '[]' => 0])
        ? ['null' => NULL, 'true' => TRUE, 'false' => FALSE, "''" => '', '[]' => []][$fromString]
        : $fromString;
    }
    if (empty($defaultValue) && !empty($defaultFromParameter)) {
      $defaultValue = $defaultFromParameter;
    }
    self::add($set, $variableName, $defaultValue === [] ? NULL : $defaultValue);
    if ($defaultValue === []) {
      self::setDefaultValue($set, $variableName, $defaultValue);
    }
  }

  /**
   * CommandInfo::findMatchingOption().
   *
   * @param array{values: array<string, mixed>, hasDefault: array<string, mixed>, defaultDefault: mixed} $options
   */
  private static function findMatchingOption(array &$options, string $optionName): string {
    if (array_key_exists($optionName, $options['values'])) {
      return $optionName;
    }
    // findExistingOption().
    foreach (array_keys($options['values']) as $name) {
      $name = (string) $name;
      if (in_array($optionName, explode('|', $name), TRUE) || $optionName === strtr(self::camelToSnake($name, '-'), '_', '-')) {
        return $name;
      }
    }
    // findOptionAmongAlternatives().
    $checkMatching = explode('|', $optionName);
    if (count($checkMatching) > 1) {
      foreach ($checkMatching as $checkName) {
        if (array_key_exists($checkName, $options['values'])) {
          $options['values'][$optionName] = $options['values'][$checkName];
          unset($options['values'][$checkName]);

          return $optionName;
        }
      }
    }

    return $optionName;
  }

  /**
   * CommandInfo::addImplicitNoOptions() and createInputOptions().
   *
   * @param array{values: array<string, mixed>, hasDefault: array<string, mixed>, defaultDefault: mixed} $options
   *
   * @return array<string, array{mode: int, default: mixed, shortcut: ?string}>
   */
  private static function createInputOptions(array $options): array {
    foreach ($options['values'] as $name => $defaultValue) {
      if ($defaultValue === TRUE && !array_key_exists('no-' . $name, $options['values'])) {
        self::add($options, 'no-' . $name, FALSE);
      }
    }
    $inputOptions = [];
    foreach ($options['values'] as $name => $defaultValue) {
      $fullName = (string) $name;
      $shortcut = NULL;
      if (strpos($fullName, '|')) {
        [$fullName, $shortcut] = explode('|', $fullName, 2);
      }
      if ($defaultValue === self::VALUE_OPTIONAL) {
        $defaultValue = NULL;
      }
      if ($defaultValue === FALSE) {
        $mode = self::VALUE_NONE;
        $default = FALSE;
      }
      elseif ($defaultValue === self::VALUE_REQUIRED) {
        $mode = self::VALUE_REQUIRED;
        $default = NULL;
      }
      elseif (is_array($defaultValue)) {
        $mode = self::VALUE_IS_ARRAY | ($defaultValue !== [] ? self::VALUE_OPTIONAL : self::VALUE_REQUIRED);
        // InputOption::setDefault(): an array option's null default is [].
        $default = $defaultValue;
      }
      else {
        $mode = self::VALUE_OPTIONAL;
        $default = $defaultValue;
      }
      $inputOptions[$fullName] = ['mode' => $mode, 'default' => $default, 'shortcut' => $shortcut];
    }

    return $inputOptions;
  }

  /**
   * InputArgument::__construct()/setDefault() and InputDefinition::addArgument().
   *
   * @param array<string, array{mode: int, default: mixed}> $arguments
   */
  private static function addInputArgument(array &$arguments, string $name, int $mode, mixed $default, ?string &$lastArray, ?string &$lastOptional): void {
    $required = ($mode & self::ARGUMENT_REQUIRED) !== 0;
    $isArray = ($mode & self::ARGUMENT_IS_ARRAY) !== 0;
    if ($required && $default !== NULL) {
      throw new \LogicException('Cannot set a default value except for InputArgument::OPTIONAL mode.');
    }
    if ($isArray) {
      if ($default === NULL) {
        $default = [];
      }
      elseif (!is_array($default)) {
        throw new \LogicException('A default value for an array argument must be an array.');
      }
    }
    if (isset($arguments[$name])) {
      throw new \LogicException(sprintf('An argument with name "%s" already exists.', $name));
    }
    if ($lastArray !== NULL) {
      throw new \LogicException(sprintf('Cannot add a required argument "%s" after an array argument "%s".', $name, $lastArray));
    }
    if ($required && $lastOptional !== NULL) {
      throw new \LogicException(sprintf('Cannot add a required argument "%s" after an optional one "%s".', $name, $lastOptional));
    }
    if ($isArray) {
      $lastArray = $name;
    }
    if (!$required) {
      $lastOptional = $name;
    }
    $arguments[$name] = ['mode' => $mode, 'default' => $default];
  }

  /**
   * @param array{mode: int, default: mixed, shortcut: ?string} $option
   *
   * @return list<string>
   */
  private static function shortcuts(array $option): array {
    return $option['shortcut'] !== NULL && $option['shortcut'] !== '' ? explode('|', $option['shortcut']) : [];
  }

  /**
   * @param array{mode: int, default: mixed, shortcut: ?string} $option
   */
  private static function acceptValue(array $option): bool {
    return ($option['mode'] & (self::VALUE_REQUIRED | self::VALUE_OPTIONAL)) !== 0;
  }

  /**
   * ArgvInput::parseShortOption() and parseShortOptionSet().
   *
   * @param array{arguments: array<string, array{mode: int, default: mixed}>, options: array<string, array{mode: int, default: mixed, shortcut: ?string}>} $full
   * @param array{arguments: array<string, mixed>, options: array<string, mixed>, parsed: list<string>} $state
   */
  private static function parseShortOption(array $full, array &$state, string $token): void {
    $name = substr($token, 1);
    if (strlen($name) > 1) {
      $first = self::optionForShortcut($full, $name[0]);
      if ($first !== NULL && self::acceptValue($full['options'][$first])) {
        self::addLongOption($full, $state, $first, substr($name, 1));

        return;
      }
      $len = strlen($name);
      for ($i = 0; $i < $len; ++$i) {
        $option = self::optionForShortcut($full, $name[$i]);
        if ($option === NULL) {
          throw new \RuntimeException(sprintf('The "-%s" option does not exist.', $name[$i]));
        }
        if (self::acceptValue($full['options'][$option])) {
          self::addLongOption($full, $state, $option, $i === $len - 1 ? NULL : substr($name, $i + 1));
          break;
        }
        self::addLongOption($full, $state, $option, NULL);
      }

      return;
    }
    $option = self::optionForShortcut($full, $name);
    if ($option === NULL) {
      throw new \RuntimeException(sprintf('The "-%s" option does not exist.', $name));
    }
    self::addLongOption($full, $state, $option, NULL);
  }

  /**
   * @param array{arguments: array<string, array{mode: int, default: mixed}>, options: array<string, array{mode: int, default: mixed, shortcut: ?string}>} $full
   */
  private static function optionForShortcut(array $full, string $shortcut): ?string {
    foreach ($full['options'] as $name => $option) {
      if (in_array($shortcut, self::shortcuts($option), TRUE)) {
        return $name;
      }
    }

    return NULL;
  }

  /**
   * ArgvInput::parseLongOption().
   *
   * @param array{arguments: array<string, array{mode: int, default: mixed}>, options: array<string, array{mode: int, default: mixed, shortcut: ?string}>} $full
   * @param array{arguments: array<string, mixed>, options: array<string, mixed>, parsed: list<string>} $state
   */
  private static function parseLongOption(array $full, array &$state, string $token): void {
    $name = substr($token, 2);
    $pos = strpos($name, '=');
    if ($pos !== FALSE) {
      $value = substr($name, $pos + 1);
      if ($value === '') {
        array_unshift($state['parsed'], $value);
      }
      self::addLongOption($full, $state, substr($name, 0, $pos), $value);
    }
    else {
      self::addLongOption($full, $state, $name, NULL);
    }
  }

  /**
   * ArgvInput::addLongOption().
   *
   * @param array{arguments: array<string, array{mode: int, default: mixed}>, options: array<string, array{mode: int, default: mixed, shortcut: ?string}>} $full
   * @param array{arguments: array<string, mixed>, options: array<string, mixed>, parsed: list<string>} $state
   */
  private static function addLongOption(array $full, array &$state, string $name, ?string $value): void {
    if (!isset($full['options'][$name])) {
      $negated = str_starts_with($name, 'no-') ? substr($name, 3) : NULL;
      if ($negated === NULL || !isset($full['options'][$negated]) || ($full['options'][$negated]['mode'] & self::VALUE_NEGATABLE) === 0) {
        throw new \RuntimeException(sprintf('The "--%s" option does not exist.', $name));
      }
      if ($value !== NULL) {
        throw new \RuntimeException(sprintf('The "--%s" option does not accept a value.', $name));
      }
      $state['options'][$negated] = FALSE;

      return;
    }
    $option = $full['options'][$name];
    if ($value !== NULL && !self::acceptValue($option)) {
      throw new \RuntimeException(sprintf('The "--%s" option does not accept a value.', $name));
    }
    if (in_array($value, ['', NULL], TRUE) && self::acceptValue($option) && $state['parsed'] !== []) {
      // An option that takes a value takes the next token, unless it
      // looks like an option.
      $next = array_shift($state['parsed']);
      if ((isset($next[0]) && $next[0] !== '-') || in_array($next, ['', NULL], TRUE)) {
        $value = $next;
      }
      else {
        array_unshift($state['parsed'], $next);
      }
    }
    $isArray = ($option['mode'] & self::VALUE_IS_ARRAY) !== 0;
    if ($value === NULL) {
      if (($option['mode'] & self::VALUE_REQUIRED) !== 0) {
        throw new \RuntimeException(sprintf('The "--%s" option requires a value.', $name));
      }
      if (!$isArray && ($option['mode'] & self::VALUE_OPTIONAL) === 0) {
        $value = TRUE;
      }
    }
    if ($isArray) {
      $state['options'][$name][] = $value;
    }
    else {
      $state['options'][$name] = $value;
    }
  }

  /**
   * ArgvInput::parseArgument().
   *
   * @param array{arguments: array<string, array{mode: int, default: mixed}>, options: array<string, array{mode: int, default: mixed, shortcut: ?string}>} $full
   * @param array{arguments: array<string, mixed>, options: array<string, mixed>, parsed: list<string>} $state
   */
  private static function parseArgument(array $full, array &$state, string $token): void {
    $names = array_keys($full['arguments']);
    $c = count($state['arguments']);
    if (isset($names[$c])) {
      $isArray = ($full['arguments'][$names[$c]]['mode'] & self::ARGUMENT_IS_ARRAY) !== 0;
      $state['arguments'][$names[$c]] = $isArray ? [$token] : $token;
    }
    elseif (isset($names[$c - 1]) && ($full['arguments'][$names[$c - 1]]['mode'] & self::ARGUMENT_IS_ARRAY) !== 0) {
      $state['arguments'][$names[$c - 1]][] = $token;
    }
    else {
      $all = $names;
      $commandName = NULL;
      if (($all[0] ?? NULL) === 'command') {
        $commandName = $state['arguments']['command'] ?? NULL;
        array_shift($all);
      }
      if ($all !== []) {
        $message = $commandName !== NULL
          ? sprintf('Too many arguments to "%s" command, expected arguments "%s".', $commandName, implode('" "', $all))
          : sprintf('Too many arguments, expected arguments "%s".', implode('" "', $all));
      }
      elseif ($commandName !== NULL) {
        $message = sprintf('No arguments expected for "%s" command, got "%s".', $commandName, $token);
      }
      else {
        $message = sprintf('No arguments expected, got "%s".', $token);
      }
      throw new \RuntimeException($message);
    }
  }

  /**
   * CommandData::options(): getAdjustedOptions() and
   * shouldConvertOptionToFalse(), with cacheSpecialDefaults().
   *
   * @param array<string, mixed> $definition
   * @param array{arguments: array<string, mixed>, options: array<string, mixed>, tokens: list<string>} $input
   *
   * @return array<string, mixed>
   */
  private static function adjustedOptions(array $definition, array $input): array {
    $full = self::fullDefinition($definition);
    $specialDefaults = [];
    foreach ($full['options'] as $name => $option) {
      if ($option['default'] === NULL || $option['default'] === TRUE) {
        $specialDefaults[] = $name;
      }
    }
    $options = $input['options'];
    foreach ($options as $option => $value) {
      if ($value === NULL && self::hasParameterOption($input['tokens'], '--' . $option)) {
        $options[$option] = TRUE;
      }
    }
    foreach ($options as $option => $value) {
      if ($value === TRUE) {
        $negation = 'no-' . $option;
        if (array_key_exists($negation, $options) && $options[$negation]) {
          $options[$option] = FALSE;
        }
      }
      elseif ($value === '0' && in_array($option, $specialDefaults, TRUE)) {
        $options[$option] = FALSE;
      }
    }

    return $options;
  }

  /**
   * ArgvInput::hasParameterOption() for one long option.
   *
   * @param list<string> $tokens
   */
  private static function hasParameterOption(array $tokens, string $value): bool {
    $leading = $value . '=';
    foreach ($tokens as $token) {
      if ($token === $value || str_starts_with($token, $leading)) {
        return TRUE;
      }
    }

    return FALSE;
  }

  private static function accepts(\ReflectionType $type, mixed $value): bool {
    if ($type instanceof \ReflectionUnionType) {
      foreach ($type->getTypes() as $member) {
        if (self::accepts($member, $value)) {
          return TRUE;
        }
      }

      return FALSE;
    }
    if ($value === NULL && $type->allowsNull()) {
      return TRUE;
    }
    if (!$type instanceof \ReflectionNamedType) {
      // Intersection types: objects only, never an argv value.
      return is_object($value);
    }

    return match ($type->getName()) {
      'mixed' => TRUE,
      'array' => is_array($value),
      'string' => is_string($value),
      'int' => is_int($value),
      // strict_types still widens int to float.
      'float' => is_float($value) || is_int($value),
      'bool' => is_bool($value),
      'false' => $value === FALSE,
      'true' => $value === TRUE,
      'null' => $value === NULL,
      'iterable' => is_iterable($value),
      'object' => is_object($value),
      'callable' => is_callable($value),
      default => is_object($value) && is_a($value, $type->getName()),
    };
  }

  private static function attributeName(string $class): ?string {
    foreach (self::ATTRIBUTE_NAMESPACES as $namespace) {
      if (str_starts_with($class, $namespace)) {
        return substr($class, strlen($namespace));
      }
    }

    return NULL;
  }

  /**
   * CommandInfo::convertName(): fooBar → foo:bar (the name without #[Command]).
   */
  private static function convertName(string $camel): string {
    return (string) preg_replace('/-/', ':', self::camelToSnake($camel, '-'), 1);
  }

  /**
   * CommandInfo::camelToSnake().
   */
  private static function camelToSnake(string $camel, string $splitter = '_'): string {
    $camel = (string) preg_replace('/(?!^)[[:upper:]][[:lower:]]/', '$0', (string) preg_replace('/(?!^)[[:upper:]]+/', $splitter . '$0', $camel));

    return strtolower($camel);
  }

}
