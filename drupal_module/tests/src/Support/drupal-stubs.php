<?php

/**
 * @file
 * Minimal stand-ins of the Drupal core classes the module's hook classes
 * use, for tests on a machine without Drupal. Each keeps what it is given,
 * as the real one does before rendering (checked against drupal/core 10.3.x
 * 88ada439b8b2a85521be2225f13e4b3295075a89 and 11.x
 * 401b0999cdb9e2ee91b7ec0c73acb254ad184c1f): Url::fromRoute() and
 * Link::createFromRoute()/toRenderable() (lib/Drupal/Core/Url.php,
 * Link.php; toString() here renders a path-less "route:name#fragment"),
 * RouteMatchInterface::getRouteName() (lib/Drupal/Core/Routing), t() of
 * StringTranslationTrait (placeholders replaced, no escaping or
 * translation), the RequirementSeverity enum of 11.2, and
 * Drupal\Component\Datetime\TimeInterface (the module's clock; its four
 * methods declare no return types in core, only "@return int|float").
 *
 * So that the queue worker, the batch callbacks and the .module shims can
 * run (checked against 11.x 401b0999): the static \Drupal service accessors
 * (lib/Drupal.php: setContainer, getContainer, hasContainer, service,
 * hasService, messenger), Symfony's ContainerInterface get()/has() (7.x),
 * the plugin base classes (Component and Core PluginBase, QueueWorkerBase,
 * QueueWorkerInterface, ContainerFactoryPluginInterface),
 * SuspendQueueException and DelayedRequeueException, TranslatableMarkup
 * (placeholders replaced on render, no translation), BatchBuilder (the
 * setters the module uses and toArray()), and Drupal\user\UserInterface as
 * an empty marker (the shims only pass the account on). So that the wizard
 * forms can be built: FormInterface, FormBase (t(), messenger(),
 * configFactory()), ConfigFormBase (its 11.x constructor and buildForm()'s
 * actions), ConfigTarget (its constructor), FormStateInterface, ConfigFactoryInterface,
 * TypedConfigManagerInterface, EntityFieldManagerInterface::
 * getFieldDefinitions(), ContainerInjectionInterface, Html::escape() and
 * batch_set() (which records the batch in $GLOBALS['entra_test_batches']).
 * So that every class the YAML files name loads: DestructableInterface and
 * ControllerBase.
 * Interfaces keep only the methods the module calls.
 *
 * Defined only when the real ones are absent. tests/bootstrap.php loads this
 * file.
 */

declare(strict_types=1);

namespace Drupal\Core {

  if (!class_exists(Url::class)) {
    class Url {

      /**
       * @param array<string, mixed> $routeParameters
       * @param array<string, mixed> $options
       */
      public function __construct(public string $routeName, public array $routeParameters = [], public array $options = []) {
      }

      /**
       * @param array<string, mixed> $route_parameters
       * @param array<string, mixed> $options
       */
      public static function fromRoute(string $route_name, array $route_parameters = [], array $options = []): static {
        return new static($route_name, $route_parameters, $options);
      }

      public function toString(): string {
        $fragment = (string) ($this->options['fragment'] ?? '');

        return 'route:' . $this->routeName . ($fragment !== '' ? '#' . $fragment : '');
      }
    }
  }

  if (!class_exists(Link::class)) {
    class Link {

      public function __construct(public mixed $text, public Url $url) {
      }

      /**
       * @param array<string, mixed> $route_parameters
       * @param array<string, mixed> $options
       */
      public static function createFromRoute(mixed $text, string $route_name, array $route_parameters = [], array $options = []): static {
        return new static($text, new Url($route_name, $route_parameters, $options));
      }

      /**
       * @return array<string, mixed>
       */
      public function toRenderable(): array {
        return ['#type' => 'link', '#url' => $this->url, '#title' => $this->text];
      }
    }
  }
}

namespace Drupal\Component\Datetime {

  if (!interface_exists(TimeInterface::class)) {
    interface TimeInterface {

      /**
       * @return int
       */
      public function getRequestTime();

      /**
       * @return float
       */
      public function getRequestMicroTime();

      /**
       * @return int
       */
      public function getCurrentTime();

      /**
       * @return float
       */
      public function getCurrentMicroTime();
    }
  }
}

namespace Drupal\Core\KeyValueStore {

  // Signatures as in core (lib/Drupal/Core/KeyValueStore/).
  interface KeyValueStoreInterface {

    public function getCollectionName();

    public function has($key);

    public function get($key, $default = NULL);

    public function getMultiple(array $keys);

    public function getAll();

    public function getAllKeys(): iterable;

    public function set($key, $value);

    public function setIfNotExists($key, $value);

    public function setMultiple(array $data);

    public function rename($key, $new_key);

    public function delete($key);

    public function deleteMultiple(array $keys);

    public function deleteAll();

  }

  interface KeyValueStoreExpirableInterface extends KeyValueStoreInterface {

    public function setWithExpire($key, $value, $expire);

    public function setWithExpireIfNotExists($key, $value, $expire);

    public function setMultipleWithExpire(array $data, $expire);

  }

  interface KeyValueExpirableFactoryInterface {

    public function get($collection);

  }

}

namespace Drupal\Core\Routing {

  if (!interface_exists(RouteMatchInterface::class)) {
    interface RouteMatchInterface {

      /**
       * @return string|null
       */
      public function getRouteName();
    }
  }
}

namespace Drupal\Core\StringTranslation {

  if (!trait_exists(StringTranslationTrait::class)) {
    trait StringTranslationTrait {

      /**
       * @param array<string, mixed> $args
       */
      protected function t(string $string, array $args = []): string {
        return strtr($string, $args);
      }
    }
  }
}

namespace Drupal\Core\Extension\Requirement {

  if (!enum_exists(RequirementSeverity::class)) {
    enum RequirementSeverity: int {

      case Info = -1;
      case OK = 0;
      case Warning = 1;
      case Error = 2;
    }
  }
}

namespace Symfony\Component\DependencyInjection {

  if (!interface_exists(ContainerInterface::class)) {
    interface ContainerInterface {

      public const RUNTIME_EXCEPTION_ON_INVALID_REFERENCE = 0;
      public const EXCEPTION_ON_INVALID_REFERENCE = 1;

      public function get(string $id, int $invalidBehavior = self::EXCEPTION_ON_INVALID_REFERENCE): ?object;

      public function has(string $id): bool;
    }
  }
}

namespace {

  use Symfony\Component\DependencyInjection\ContainerInterface;

  if (!class_exists(\Drupal::class)) {
    class Drupal {

      /**
       * @var \Symfony\Component\DependencyInjection\ContainerInterface|null
       */
      protected static $container;

      public static function setContainer(ContainerInterface $container) {
        static::$container = $container;
      }

      public static function unsetContainer() {
        static::$container = NULL;
      }

      public static function getContainer() {
        if (static::$container === NULL) {
          throw new \LogicException('\\Drupal::$container is not initialized yet.');
        }

        return static::$container;
      }

      public static function hasContainer() {
        return static::$container !== NULL;
      }

      public static function service(string $id): object {
        return static::getContainer()->get($id);
      }

      public static function hasService($id) {
        return static::hasContainer() && static::getContainer()->has($id);
      }

      public static function messenger() {
        return static::getContainer()->get('messenger');
      }
    }
  }
}

namespace Drupal\Component\Plugin {

  if (!interface_exists(PluginInspectionInterface::class)) {
    interface PluginInspectionInterface {

      public function getPluginId();

      public function getPluginDefinition();
    }
  }

  if (!class_exists(PluginBase::class)) {
    abstract class PluginBase implements PluginInspectionInterface {

      /**
       * @var string
       */
      protected $pluginId;

      /**
       * @var mixed
       */
      protected $pluginDefinition;

      /**
       * @var array<string, mixed>
       */
      protected $configuration;

      /**
       * @param array<string, mixed> $configuration
       * @param string $plugin_id
       * @param mixed $plugin_definition
       */
      public function __construct(array $configuration, $plugin_id, $plugin_definition) {
        $this->configuration = $configuration;
        $this->pluginId = $plugin_id;
        $this->pluginDefinition = $plugin_definition;
      }

      public function getPluginId() {
        return $this->pluginId;
      }

      public function getPluginDefinition() {
        return $this->pluginDefinition;
      }
    }
  }
}

namespace Drupal\Core\Plugin {

  use Symfony\Component\DependencyInjection\ContainerInterface;

  if (!class_exists(PluginBase::class)) {
    abstract class PluginBase extends \Drupal\Component\Plugin\PluginBase {

    }
  }

  if (!interface_exists(ContainerFactoryPluginInterface::class)) {
    interface ContainerFactoryPluginInterface {

      /**
       * @param array<string, mixed> $configuration
       * @param string $plugin_id
       * @param mixed $plugin_definition
       */
      public static function create(ContainerInterface $container, array $configuration, $plugin_id, $plugin_definition);
    }
  }
}

namespace Drupal\Core\Queue {

  use Drupal\Component\Plugin\PluginInspectionInterface;
  use Drupal\Core\Plugin\PluginBase;

  if (!interface_exists(QueueWorkerInterface::class)) {
    interface QueueWorkerInterface extends PluginInspectionInterface {

      /**
       * @param mixed $data
       */
      public function processItem($data);
    }
  }

  if (!class_exists(QueueWorkerBase::class)) {
    abstract class QueueWorkerBase extends PluginBase implements QueueWorkerInterface {

    }
  }

  if (!class_exists(SuspendQueueException::class)) {
    class SuspendQueueException extends \RuntimeException {

      protected ?float $delay;

      public function __construct(string $message = '', int $code = 0, ?\Throwable $previous = NULL, ?float $delay = NULL) {
        parent::__construct($message, $code, $previous);
        $this->delay = $delay;
      }

      public function getDelay(): ?float {
        return $this->delay;
      }

      public function isDelayable(): bool {
        return $this->delay !== NULL;
      }
    }
  }

  if (!class_exists(DelayedRequeueException::class)) {
    class DelayedRequeueException extends \RuntimeException {

      protected int $delay = 0;

      public function __construct(int $delay = 0, string $message = '', int $code = 0, ?\Throwable $previous = NULL) {
        parent::__construct($message, $code, $previous);
        if ($delay > 0) {
          $this->delay = $delay;
        }
      }

      public function getDelay(): int {
        return $this->delay;
      }
    }
  }
}

namespace Drupal\Core\StringTranslation {

  if (!class_exists(TranslatableMarkup::class)) {
    class TranslatableMarkup {

      /**
       * @var string
       */
      protected $string;

      /**
       * @var array<string, mixed>
       */
      protected $arguments;

      /**
       * @param string $string
       * @param array<string, mixed> $arguments
       * @param array<string, mixed> $options
       */
      public function __construct($string, array $arguments = [], array $options = [], ?TranslationInterface $string_translation = NULL) {
        $this->string = $string;
        $this->arguments = $arguments;
      }

      public function getUntranslatedString() {
        return $this->string;
      }

      public function getArguments() {
        return $this->arguments;
      }

      public function render() {
        return strtr($this->string, array_map('strval', $this->arguments));
      }

      public function __toString(): string {
        return (string) $this->render();
      }
    }
  }
}

namespace Drupal\Core\Batch {

  if (!class_exists(BatchBuilder::class)) {
    class BatchBuilder {

      /**
       * @var mixed
       */
      protected $title = 'Processing';

      /**
       * @var mixed
       */
      protected $initMessage = 'Initializing.';

      /**
       * @var mixed
       */
      protected $progressMessage = 'Completed @current of @total.';

      /**
       * @var mixed
       */
      protected $errorMessage = 'An error has occurred.';

      /**
       * @var callable|string|null
       */
      protected $finished = NULL;

      /**
       * @var list<array{0: callable|string, 1: array<mixed>}>
       */
      protected $operations = [];

      public function setTitle($title) {
        $this->title = $title;

        return $this;
      }

      public function setFinishCallback(callable|string $callback) {
        $this->finished = $callback;

        return $this;
      }

      public function setInitMessage($message) {
        $this->initMessage = $message;

        return $this;
      }

      public function setProgressMessage($message) {
        $this->progressMessage = $message;

        return $this;
      }

      public function setErrorMessage($message) {
        $this->errorMessage = $message;

        return $this;
      }

      /**
       * @param array<mixed> $arguments
       */
      public function addOperation(callable|string $callback, array $arguments = []) {
        $this->operations[] = [$callback, $arguments];

        return $this;
      }

      public function toArray() {
        return [
          'operations' => $this->operations ?: [],
          'title' => $this->title ?: '',
          'init_message' => $this->initMessage ?: '',
          'progress_message' => $this->progressMessage ?: '',
          'error_message' => $this->errorMessage ?: '',
          'finished' => $this->finished,
          'file' => NULL,
          'library' => [],
          'url_options' => [],
          'progressive' => TRUE,
        ];
      }
    }
  }
}

namespace Drupal\user {

  if (!interface_exists(UserInterface::class)) {
    interface UserInterface {

    }
  }
}

namespace Drupal\Core\Config {

  if (!interface_exists(ConfigFactoryInterface::class)) {
    interface ConfigFactoryInterface {

      public function getEditable($name);
    }
  }

  if (!interface_exists(TypedConfigManagerInterface::class)) {
    interface TypedConfigManagerInterface {

    }
  }
}

namespace Drupal\Core\Entity {

  if (!interface_exists(EntityFieldManagerInterface::class)) {
    interface EntityFieldManagerInterface {

      public function getFieldDefinitions($entity_type_id, $bundle);
    }
  }
}

namespace Drupal\Core\DependencyInjection {

  use Symfony\Component\DependencyInjection\ContainerInterface;

  if (!interface_exists(ContainerInjectionInterface::class)) {
    interface ContainerInjectionInterface {

      public static function create(ContainerInterface $container);
    }
  }
}

namespace Drupal\Component\Utility {

  if (!class_exists(Html::class)) {
    class Html {

      public static function escape(string $text): string {
        return htmlspecialchars($text, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
      }
    }
  }
}

namespace Drupal\Core\Form {

  use Drupal\Core\Config\ConfigFactoryInterface;
  use Drupal\Core\Config\TypedConfigManagerInterface;
  use Drupal\Core\DependencyInjection\ContainerInjectionInterface;
  use Drupal\Core\StringTranslation\StringTranslationTrait;

  if (!interface_exists(FormStateInterface::class)) {
    interface FormStateInterface {

      public function &get($property);

      public function set($property, $value);

      public function &getUserInput();

      public function &getValue($key, $default = NULL);

      public function setRedirect($route_name, array $route_parameters = [], array $options = []);

      public function setErrorByName($name, $message = '');

      public function clearErrors();

      public function getErrors();

      public function setRebuild($rebuild = TRUE);

      public function &getTriggeringElement();
    }
  }

  if (!class_exists(ConfigTarget::class)) {
    final class ConfigTarget {

      /**
       * @var list<string>
       */
      public readonly array $propertyPaths;

      public readonly mixed $fromConfig;

      public readonly mixed $toConfig;

      /**
       * @param string|list<string> $propertyPath
       */
      public function __construct(
        public readonly string $configName,
        string|array $propertyPath,
        ?callable $fromConfig = NULL,
        ?callable $toConfig = NULL,
      ) {
        $this->fromConfig = $fromConfig;
        $this->toConfig = $toConfig;
        if (is_string($propertyPath)) {
          $propertyPath = [$propertyPath];
        }
        elseif (count($propertyPath) > 1 && (empty($fromConfig) || empty($toConfig))) {
          throw new \LogicException('The $fromConfig and $toConfig arguments must be passed to ' . __METHOD__ . '() if multiple property paths are targeted.');
        }
        $this->propertyPaths = array_values($propertyPath);
      }
    }
  }

  if (!interface_exists(FormInterface::class)) {
    interface FormInterface {

      public function getFormId();

      public function buildForm(array $form, FormStateInterface $form_state);

      public function validateForm(array &$form, FormStateInterface $form_state);

      public function submitForm(array &$form, FormStateInterface $form_state);
    }
  }

  if (!class_exists(FormBase::class)) {
    abstract class FormBase implements FormInterface, ContainerInjectionInterface {

      use StringTranslationTrait;

      /**
       * @var \Drupal\Core\Config\ConfigFactoryInterface|null
       */
      protected $configFactory;

      /**
       * @var object|null
       */
      protected $messenger;

      public function validateForm(array &$form, FormStateInterface $form_state) {
      }

      protected function configFactory() {
        return $this->configFactory;
      }

      public function setConfigFactory(ConfigFactoryInterface $config_factory) {
        $this->configFactory = $config_factory;

        return $this;
      }

      public function setMessenger($messenger) {
        $this->messenger = $messenger;

        return $this;
      }

      public function messenger() {
        if ($this->messenger === NULL) {
          $this->messenger = \Drupal::messenger();
        }

        return $this->messenger;
      }
    }
  }

  if (!class_exists(ConfigFormBase::class)) {
    abstract class ConfigFormBase extends FormBase {

      public function __construct(ConfigFactoryInterface $config_factory, protected TypedConfigManagerInterface $typedConfigManager) {
        $this->setConfigFactory($config_factory);
      }

      public function buildForm(array $form, FormStateInterface $form_state) {
        $form['actions']['#type'] = 'actions';
        $form['actions']['submit'] = [
          '#type' => 'submit',
          '#value' => $this->t('Save configuration'),
          '#button_type' => 'primary',
        ];
        $form['#theme'] = 'system_config_form';

        return $form;
      }

      public function submitForm(array &$form, FormStateInterface $form_state) {
      }
    }
  }
}

namespace {

  if (!function_exists('batch_set')) {
    /**
     * @param array<string, mixed> $batch_definition
     */
    function batch_set($batch_definition): void {
      $GLOBALS['entra_test_batches'][] = $batch_definition;
    }
  }
}

namespace Drupal\Core {

  if (!interface_exists(DestructableInterface::class)) {
    interface DestructableInterface {

      public function destruct();
    }
  }
}

namespace Drupal\Core\Controller {

  use Drupal\Core\DependencyInjection\ContainerInjectionInterface;
  use Drupal\Core\StringTranslation\StringTranslationTrait;
  use Symfony\Component\DependencyInjection\ContainerInterface;

  if (!class_exists(ControllerBase::class)) {
    abstract class ControllerBase implements ContainerInjectionInterface {

      use StringTranslationTrait;

      public static function create(ContainerInterface $container) {
        return new static();
      }
    }
  }

}
