<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Form;

use Drupal\Core\Config\ConfigFactoryInterface;
use Drupal\Core\Config\TypedConfigManagerInterface;
use Drupal\Core\Entity\EntityFieldManagerInterface;
use Drupal\Core\Form\ConfigTarget;
use Drupal\entra_provisioning\Drupal\BulkSyncBatch;
use Drupal\entra_provisioning\Drupal\PostResponseProcessor;
use Drupal\entra_provisioning\Form\ConnectionForm;
use Drupal\entra_provisioning\Form\DirectionForm;
use Drupal\entra_provisioning\Form\ProvisioningForm;
use Drupal\entra_provisioning\Provisioning\AccountWriter;
use Drupal\entra_provisioning\Provisioning\BulkScope;
use Drupal\entra_provisioning\Provisioning\BulkSync;
use Drupal\entra_provisioning\Provisioning\ClientFactory;
use Drupal\entra_provisioning\Provisioning\ConnectionFields;
use Drupal\entra_provisioning\Provisioning\EchoGuard;
use Drupal\entra_provisioning\Provisioning\IdentityMatcher;
use Drupal\entra_provisioning\Provisioning\ModuleSettings;
use Drupal\entra_provisioning\Provisioning\Provisioner;
use Drupal\entra_provisioning\Provisioning\QueueRunner;
use Drupal\entra_provisioning\Provisioning\QueueSuspension;
use Drupal\entra_provisioning\Provisioning\RemovalGuard;
use Drupal\entra_provisioning\Provisioning\ResultFormatter;
use Drupal\Tests\entra_provisioning\Support\Fake\ArrayConfigSource;
use Drupal\Tests\entra_provisioning\Support\Fake\ArrayFormState;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeClock;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeKeyRepository;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeLock;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeNativeFactory;
use Drupal\Tests\entra_provisioning\Support\Fake\FixedRoleFacts;
use Drupal\entra_provisioning\Provisioning\GroupRulesCheck;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryAccountStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryLinkStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryMatchStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryQueue;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryRemovalStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryState;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryUserSource;
use Drupal\Tests\entra_provisioning\Support\ModuleContainer;
use PHPUnit\Framework\TestCase;
use Psr\Log\NullLogger;
use Drupal\entra_provisioning\Provisioning\QuotaWorkers;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryQuotaWorkerRegistry;

require_once dirname(__DIR__, 3) . '/bootstrap-psr.php';

/**
 * Steps 2 and 3 of the wizard, built as Drupal builds them: create() with
 * the services by their services.yml ids, then buildForm() (core's form
 * classes from tests/src/Support/drupal-stubs.php).
 */
final class WizardFormsTest extends TestCase {

  private FakeNativeFactory $natives;

  private ModuleContainer $container;

  private BulkSync $bulk;

  protected function setUp(): void {
    if (!function_exists('yaml_parse_file')) {
      $this->markTestSkipped('php-yaml is not installed (apt-get install php8.2-yaml).');
    }
    $GLOBALS['entra_test_batches'] = [];
    $clock = new FakeClock(1700000000.0);
    $state = new InMemoryState();
    $links = new InMemoryLinkStore();
    $users = new InMemoryUserSource();
    $accounts = new InMemoryAccountStore();
    $logger = new NullLogger();
    $this->natives = new FakeNativeFactory();
    $clients = new ClientFactory(new ArrayConfigSource(ArrayConfigSource::defaults(['bulk' => ['chunk_size' => 50]])), $state, new FakeKeyRepository(), $this->natives);
    $guard = new EchoGuard();
    $formatter = new ResultFormatter();
    $matcher = new IdentityMatcher($clients, $links, new InMemoryMatchStore(), $users, $accounts, new AccountWriter($accounts), $guard, $clock, $logger);
    $provisioner = new Provisioner($clients, $links, $users, new InMemoryQueue($clock), new FakeLock(), $state, $clock, $formatter, $logger, $matcher, new RemovalGuard($clients, new InMemoryRemovalStore(), $clock, $logger), new QueueSuspension($state, $clock, $logger), new QuotaWorkers(new InMemoryQuotaWorkerRegistry($clock)));
    $this->bulk = new BulkSync($clients, $provisioner, $links, $users, $clock, $formatter, $logger, $matcher, new QuotaWorkers(new InMemoryQuotaWorkerRegistry($clock)));
    $fields = new class implements EntityFieldManagerInterface {
      public function getFieldDefinitions($entity_type_id, $bundle) {
        $definition = static fn (string $label, bool $base): object => new class ($label, $base) {
          public function __construct(private string $label, private bool $base) {
          }

          public function getLabel(): string {
            return $this->label;
          }

          public function getFieldStorageDefinition(): object {
            return new class ($this->base) {
              public function __construct(private bool $base) {
              }

              public function isBaseField(): bool {
                return $this->base;
              }
            };
          }
        };

        return ['name' => $definition('Name', TRUE), 'field_job' => $definition('Job title', FALSE)];
      }
    };
    $this->container = new ModuleContainer([
      'config.factory' => $this->createMock(ConfigFactoryInterface::class),
      'config.typed' => $this->createMock(TypedConfigManagerInterface::class),
      'entity_field.manager' => $fields,
      'entra_provisioning.client_factory' => $clients,
      'entra_provisioning.provisioner' => $provisioner,
      'entra_provisioning.result_formatter' => $formatter,
      'entra_provisioning.key_repository' => new FakeKeyRepository(),
      'entra_provisioning.bulk_sync' => $this->bulk,
      'entra_provisioning.identity_matcher' => $matcher,
      'entra_provisioning.role_facts' => new FixedRoleFacts(),
      'entra_provisioning.group_rules_check' => new GroupRulesCheck($clients, new FixedRoleFacts()),
      'entra_provisioning.post_response_processor' => new PostResponseProcessor(new QueueRunner(new InMemoryQueue($clock), $provisioner, $clock, $logger), $clients, $logger),
    ], ['config.factory', 'config.typed', 'entity_field.manager']);
  }

  /**
   * Every #config_target in a built form, without the config name.
   *
   * @param array<string, mixed> $element
   *
   * @return list<string>
   */
  private static function configTargets(array $element): array {
    $targets = [];
    $target = $element['#config_target'] ?? NULL;
    if ($target instanceof ConfigTarget) {
      self::assertSame(ModuleSettings::CONFIG_NAME, $target->configName);
      $targets = array_merge($targets, $target->propertyPaths);
    }
    elseif ($target !== NULL) {
      $prefix = ModuleSettings::CONFIG_NAME . ':';
      self::assertStringStartsWith($prefix, $target);
      $targets[] = substr($target, strlen($prefix));
    }
    foreach ($element as $key => $child) {
      if (is_array($child) && !str_starts_with((string) $key, '#')) {
        $targets = array_merge($targets, self::configTargets($child));
      }
    }

    return $targets;
  }

  public function testStepThreeOffersTheLifecycleAndBulkSettings(): void {
    $form = ProvisioningForm::create($this->container)->buildForm([], new ArrayFormState());
    $targets = self::configTargets($form);
    foreach (['lifecycle.update', 'lifecycle.sync_status', 'lifecycle.on_cancel', 'lifecycle.on_delete', 'bulk.chunk_size', 'provisioning.manual_create', 'mapping.upn_source'] as $key) {
      $this->assertContains($key, $targets, $key . ' is on step 3');
    }
    $this->assertSame('submit', $form['actions']['submit']['#type'], 'the save button of ConfigFormBase');
  }

  public function testStepTwoOffersTheImportSettings(): void {
    $targets = self::configTargets(DirectionForm::create($this->container)->buildForm([], new ArrayFormState()));
    foreach (['direction.drupal_to_entra', 'direction.entra_to_drupal', 'import.interval', 'import.removed', 'import.create_accounts', 'import.include_guests'] as $key) {
      $this->assertContains($key, $targets, $key . ' is on step 2');
    }
  }

  public function testTheMappablePropertiesComeFromTheLibrary(): void {
    $options = static function (array $form): array {
      return array_keys($form['mapping']['properties']['field_job']['property']['#options']);
    };
    $form = ProvisioningForm::create($this->container)->buildForm([], new ArrayFormState());
    $this->assertSame(['', 'givenName', 'jobTitle'], $options($form));
    $this->assertArrayNotHasKey('name', $form['mapping']['properties'], 'base fields are not offered');

    $this->natives->mappable['properties'][] = ['name' => 'employeeId', 'max_length' => 16];
    $form = ProvisioningForm::create($this->container)->buildForm([], new ArrayFormState());
    $this->assertSame(['', 'givenName', 'jobTitle', 'employeeId'], $options($form), 'a property the library adds is offered');
  }

  public function testSyncAllUsersStartsTheBulkBatch(): void {
    $form = ProvisioningForm::create($this->container);
    $built = $form->buildForm([], new ArrayFormState());
    $form->syncAll($built, new ArrayFormState(['include_superuser' => 1, 'include_blocked' => 0]));
    $this->assertEquals([BulkSyncBatch::build(50, new BulkScope(TRUE, FALSE))], $GLOBALS['entra_test_batches']);
  }

  /**
   * The elements of a built form by key, at any depth.
   *
   * @param array<string, mixed> $element
   *
   * @return array<string, array<string, mixed>>
   */
  private static function elements(array $element): array {
    $found = [];
    foreach ($element as $key => $child) {
      if (is_array($child) && !str_starts_with((string) $key, '#')) {
        $found[(string) $key] = $child;
        $found += self::elements($child);
      }
    }

    return $found;
  }

  public function testStepOneShowsTheTitlesTheErrorLinksName(): void {
    $form = ConnectionForm::create($this->container)->buildForm([], new ArrayFormState());
    $targets = self::configTargets($form);
    foreach (['connection.tenant_id', 'connection.client_id', 'connection.primary_domain', 'advanced.timeout_ms'] as $key) {
      $this->assertContains($key, $targets, $key . ' is on step 1');
    }
    $elements = self::elements($form);
    foreach (ConnectionFields::TITLES as $element => $title) {
      $this->assertArrayHasKey($element, $elements, 'ConnectionForm builds ' . $element);
      $this->assertSame($title, (string) $elements[$element]['#title'], $element . ' takes its #title from ConnectionFields::TITLES');
    }
    // The error links' fragments assume Drupal's default #parents.
    foreach ($elements as $key => $element) {
      $this->assertEmpty($element['#tree'] ?? NULL, $key . ' sets no #tree');
      $this->assertArrayNotHasKey('#id', $element, $key . ' sets no #id');
      $this->assertArrayNotHasKey('#parents', $element, $key . ' sets no #parents');
    }
  }

}
