<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Provisioning;

use Drupal\Core\Config\ConfigFactoryInterface;
use Drupal\Core\Config\TypedConfigManagerInterface;
use Drupal\Core\Entity\EntityFieldManagerInterface;
use Drupal\entra_provisioning\Drupal\PostResponseProcessor;
use Drupal\entra_provisioning\Form\ProvisioningForm;
use Drupal\entra_provisioning\Provisioning\GroupRulesCheck;
use Drupal\entra_provisioning\Provisioning\ResultFormatter;
use Drupal\Tests\entra_provisioning\Support\EmulatorProcess;
use Drupal\Tests\entra_provisioning\Support\Fake\ArrayFormState;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeKeyRepository;
use Drupal\Tests\entra_provisioning\Support\ModuleContainer;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;

/**
 * Step 3's group <-> role table against the REAL library and emulator: the
 * picker's search marks refused groups unavailable with the library's
 * reason, and validation attaches each rule problem to its cell (a
 * restricted or admin role needs the rule's confirmation; a dynamic or
 * role-assignable group never receives members).
 */
final class GroupRulesFormEmulatorTest extends NativeTestCase {

  use ProvisioningTestTrait;

  private const IT = '40000000-0000-4000-8000-000000000001';
  private const STAFF = '40000000-0000-4000-8000-000000000002';
  private const DYNAMIC = '40000000-0000-4000-8000-000000000003';
  private const HELPDESK = '40000000-0000-4000-8000-000000000004';

  private function form(EmulatorProcess $emulator): ProvisioningForm {
    $this->wire($emulator);
    $fields = new class implements EntityFieldManagerInterface {

      public function getFieldDefinitions($entity_type_id, $bundle) {
        return [];
      }

    };
    $container = new ModuleContainer([
      'config.factory' => $this->createMock(ConfigFactoryInterface::class),
      'config.typed' => $this->createMock(TypedConfigManagerInterface::class),
      'entity_field.manager' => $fields,
      'entra_provisioning.client_factory' => $this->clients,
      'entra_provisioning.provisioner' => $this->provisioner,
      'entra_provisioning.result_formatter' => new ResultFormatter(),
      'entra_provisioning.key_repository' => new FakeKeyRepository(),
      'entra_provisioning.bulk_sync' => $this->bulk,
      'entra_provisioning.identity_matcher' => $this->matcher,
      'entra_provisioning.role_facts' => $this->roleFacts,
      'entra_provisioning.group_rules_check' => new GroupRulesCheck($this->clients, $this->roleFacts),
      'entra_provisioning.post_response_processor' => new PostResponseProcessor($this->runner, $this->clients, $this->logger),
    ], ['config.factory', 'config.typed', 'entity_field.manager']);

    return ProvisioningForm::create($container);
  }

  private function tenant(): EmulatorProcess {
    return $this->startEmulator([
      '--permissions', 'User.ReadWrite.All,GroupMember.ReadWrite.All',
      '--seed-group', self::IT . '|IT admins|security|',
      '--seed-group', self::STAFF . '|Staff|security|',
      '--seed-group', self::DYNAMIC . '|Sales dynamic|dynamic|',
      '--seed-group', self::HELPDESK . '|Helpdesk|role-assignable|',
    ]);
  }

  public function testTheGroupPickerShowsRefusedGroupsAsUnavailable(): void {
    $form = $this->form($this->tenant());
    $state = new ArrayFormState(['group_search' => 'sales']);
    $built = $form->buildForm([], $state);
    $form->searchGroups($built, $state);
    $built = $form->buildForm([], $state);
    $rows = $built['groups']['group_results']['#rows'];
    $this->assertCount(1, $rows);
    $this->assertSame(['Sales dynamic', self::DYNAMIC], [$rows[0][0], $rows[0][1]]);
    $this->assertStringContainsString('unavailable', (string) $rows[0][2]);
    $this->assertStringContainsString('dynamic', (string) $rows[0][2]);
    $option = (string) $built['groups']['provision_rules'][0]['group_id']['#options'][self::DYNAMIC];
    $this->assertStringContainsString('unavailable', $option, 'the provisioning picker marks it');
    $this->assertSame('Sales dynamic (' . self::DYNAMIC . ')', $built['groups']['import_rules'][0]['group_id']['#options'][self::DYNAMIC], 'reading its members is fine');
  }

  public function testARestrictedRoleRuleNeedsItsConfirmationAndARefusedGroupIsAnError(): void {
    $form = $this->form($this->tenant());
    $values = [
      'import_rules' => [
        0 => ['group_id' => self::STAFF, 'role' => 'editor', 'confirmed' => 0],
        1 => ['group_id' => '', 'role' => '', 'confirmed' => 0],
        2 => ['group_id' => self::IT, 'role' => 'administrator', 'confirmed' => 0],
        3 => ['group_id' => self::IT, 'role' => 'webmaster', 'confirmed' => 0],
      ],
      'provision_rules' => [
        0 => ['role' => 'staff', 'group_id' => self::STAFF],
        1 => ['role' => 'reviewer', 'group_id' => self::DYNAMIC],
        2 => ['role' => 'staff', 'group_id' => self::HELPDESK],
      ],
    ];
    $state = new ArrayFormState($values);
    $built = $form->buildForm([], $state);
    $form->validateForm($built, $state);
    $errors = array_map('strval', $state->getErrors());
    ksort($errors);
    $this->assertSame(['import_rules][2][confirmed', 'import_rules][3][confirmed', 'provision_rules][1][group_id', 'provision_rules][2][group_id'], array_keys($errors), json_encode($errors) ?: '');
    $this->assertStringContainsString('confirmation', $errors['import_rules][2][confirmed']);
    $this->assertStringContainsString('dynamic', $errors['provision_rules][1][group_id']);
    $this->assertStringContainsString('role-assignable', $errors['provision_rules][2][group_id']);

    // Confirmed, and with allowed groups only: no error.
    $values['import_rules'][2]['confirmed'] = 1;
    $values['import_rules'][3]['confirmed'] = 1;
    unset($values['provision_rules'][1], $values['provision_rules'][2]);
    $state = new ArrayFormState($values);
    $form->validateForm($built, $state);
    $this->assertSame([], $state->getErrors());
    $this->assertSame('IT admins', $state->get('entra_group_facts')[self::IT]['displayName'], 'the names to store with the rules');
  }

}
