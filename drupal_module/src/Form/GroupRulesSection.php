<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Form;

use Drupal\Core\Form\FormStateInterface;
use Drupal\Core\StringTranslation\TranslatableMarkup;
use Drupal\entra_provisioning\Provisioning\GroupRulesCheck;
use Drupal\entra_provisioning\Provisioning\ModuleSettings;

/**
 * Step 3's "Groups and roles" section: the group <-> role rules of both
 * directions, the group picker (a search of Graph by displayName), strict
 * mode and the scopes. Which rule may take effect, and which group may
 * receive members, is the library's answer (GroupRulesCheck); this class
 * only builds and reads the elements.
 */
final class GroupRulesSection {

  /**
   * Empty rows offered under the rules of each table.
   */
  public const NEW_ROWS = 2;

  /**
   * The form state key of the last search's groups.
   */
  public const RESULTS = 'entra_group_results';

  /**
   * @param array<string, mixed> $form
   * @param array<string, string> $roles
   *   Role id => label (the locked roles left out).
   */
  public static function build(array &$form, FormStateInterface $form_state, ModuleSettings $settings, array $roles): void {
    $results = $form_state->get(self::RESULTS);
    $results = is_array($results) ? $results : [];
    $groups = self::knownGroups($settings, $results);
    $roleOptions = ['' => new TranslatableMarkup('- None -')] + $roles;
    $importOptions = ['' => new TranslatableMarkup('- None -')];
    $targetOptions = ['' => new TranslatableMarkup('- None -')];
    foreach ($groups as $id => $group) {
      $importOptions[$id] = $group['name'];
      $targetOptions[$id] = $group['refused'] === NULL ? $group['name'] : new TranslatableMarkup('@name (unavailable: @reason)', ['@name' => $group['name'], '@reason' => $group['refused']]);
    }

    $form['groups'] = ['#type' => 'details', '#title' => new TranslatableMarkup('Groups and roles'), '#open' => TRUE];
    $form['groups']['intro'] = [
      '#markup' => '<p>' . new TranslatableMarkup('Entra ID groups give Drupal roles on import (nested groups count), and Drupal roles put the Entra ID account into groups. A rule that gives the administrator role, or a role with a permission marked "restrict access", takes effect only once its confirmation is ticked. Role-assignable, dynamic, on-premises and mail-enabled groups never receive members. uid 1 is never changed.') . '</p>',
    ];
    $form['groups']['group_search'] = [
      '#type' => 'textfield',
      '#title' => new TranslatableMarkup('Find Entra ID groups by name'),
      '#description' => new TranslatableMarkup('Matches the start of a word of the displayName. The groups found are offered in the tables below.'),
    ];
    $form['groups']['group_search_button'] = [
      '#type' => 'submit',
      '#value' => new TranslatableMarkup('Search groups'),
      '#name' => 'entra_group_search',
      '#submit' => ['::searchGroups'],
      '#limit_validation_errors' => [['group_search']],
    ];
    if ($results !== []) {
      $rows = [];
      foreach ($results as $group) {
        $target = is_array($group['target'] ?? NULL) ? $group['target'] : [];
        $rows[] = [
          (string) ($group['displayName'] ?? ''),
          (string) ($group['id'] ?? ''),
          !empty($target['allowed']) ? new TranslatableMarkup('yes') : new TranslatableMarkup('unavailable: @message', ['@message' => (string) ($target['message'] ?? $target['reason'] ?? '')]),
        ];
      }
      $form['groups']['group_results'] = [
        '#type' => 'table',
        '#header' => [new TranslatableMarkup('Group'), new TranslatableMarkup('Object id'), new TranslatableMarkup('Can receive members')],
        '#rows' => $rows,
      ];
    }

    $form['groups']['import_rules'] = [
      '#type' => 'table',
      '#caption' => new TranslatableMarkup('Entra ID → Drupal: members of the group get the role'),
      '#header' => [new TranslatableMarkup('Entra ID group'), new TranslatableMarkup('Drupal role'), new TranslatableMarkup('Confirmed (administrator or restricted role)')],
      '#tree' => TRUE,
    ];
    $importRules = self::storedRows($settings->get('groups.import_rules', []));
    foreach (array_merge($importRules, array_fill(0, self::NEW_ROWS, [])) as $i => $rule) {
      $form['groups']['import_rules'][$i]['group_id'] = self::select(new TranslatableMarkup('Group of rule @n', ['@n' => $i + 1]), $importOptions, (string) ($rule['group_id'] ?? ''));
      $form['groups']['import_rules'][$i]['role'] = self::select(new TranslatableMarkup('Role of rule @n', ['@n' => $i + 1]), $roleOptions, (string) ($rule['role'] ?? ''));
      $form['groups']['import_rules'][$i]['confirmed'] = [
        '#type' => 'checkbox',
        '#title' => new TranslatableMarkup('Confirm rule @n', ['@n' => $i + 1]),
        '#title_display' => 'invisible',
        '#default_value' => !empty($rule['confirmed']),
      ];
    }
    $form['groups']['groups_strict'] = [
      '#type' => 'checkbox',
      '#title' => new TranslatableMarkup('Strict: remove a mapped role when no group gives it any more'),
      '#description' => new TranslatableMarkup('Roles that no rule maps are never touched.'),
      '#default_value' => $settings->strictRoles(),
    ];
    $form['groups']['import_scope'] = [
      '#type' => 'checkboxes',
      '#title' => new TranslatableMarkup('Import only members of these groups'),
      '#description' => new TranslatableMarkup('None ticked: every user is imported. A linked user who leaves these groups is treated like a user removed in Entra ID (the same policy and accidental-deletion threshold; out of scope blocks, never deletes).'),
      '#options' => array_map(static fn (array $g): string => $g['name'], $groups),
      '#default_value' => $settings->importScopeGroups(),
    ];

    $form['groups']['provision_rules'] = [
      '#type' => 'table',
      '#caption' => new TranslatableMarkup('Drupal → Entra ID: accounts with the role are members of the group'),
      '#header' => [new TranslatableMarkup('Drupal role'), new TranslatableMarkup('Entra ID group')],
      '#tree' => TRUE,
    ];
    $provisionRules = self::storedRows($settings->get('groups.provision_rules', []));
    foreach (array_merge($provisionRules, array_fill(0, self::NEW_ROWS, [])) as $i => $rule) {
      $form['groups']['provision_rules'][$i]['role'] = self::select(new TranslatableMarkup('Role of provisioning rule @n', ['@n' => $i + 1]), $roleOptions, (string) ($rule['role'] ?? ''));
      $form['groups']['provision_rules'][$i]['group_id'] = self::select(new TranslatableMarkup('Group of provisioning rule @n', ['@n' => $i + 1]), $targetOptions, (string) ($rule['group_id'] ?? ''));
    }
    $form['groups']['provision_scope'] = [
      '#type' => 'checkboxes',
      '#title' => new TranslatableMarkup('Provision only accounts holding one of these roles'),
      '#description' => new TranslatableMarkup('None ticked: every account. An account that loses its last chosen role gets the "Account cancelled" policy.'),
      '#options' => $roles,
      '#default_value' => $settings->provisionScopeRoles(),
    ];
  }

  /**
   * The submitted rules with a group and a role, keyed by their row.
   *
   * @return array{import_rules: array<int, array{group_id: string, role: string, confirmed: bool}>, provision_rules: array<int, array{role: string, group_id: string}>}
   */
  public static function submittedRules(FormStateInterface $form_state): array {
    $import = [];
    foreach (self::rows($form_state->getValue(GroupRulesCheck::IMPORT_RULES)) as $i => $row) {
      $import[$i] = ['group_id' => $row['group_id'], 'role' => $row['role'], 'confirmed' => !empty($row['confirmed'])];
    }
    $provision = [];
    foreach (self::rows($form_state->getValue(GroupRulesCheck::PROVISION_RULES)) as $i => $row) {
      $provision[$i] = ['role' => $row['role'], 'group_id' => $row['group_id']];
    }

    return ['import_rules' => $import, 'provision_rules' => $provision];
  }

  /**
   * The ticked values of a checkboxes element.
   *
   * @return list<string>
   */
  public static function ticked(FormStateInterface $form_state, string $name): array {
    $values = $form_state->getValue($name);

    return is_array($values) ? array_values(array_map('strval', array_filter($values, static fn ($v): bool => is_string($v) && $v !== '' || is_int($v) && $v !== 0))) : [];
  }

  /**
   * The rules as stored, each with the displayName read from Graph (or the
   * one stored before).
   *
   * @param array<int, array<string, mixed>> $rules
   * @param array<string, array<string, mixed>|null> $groups
   *
   * @return list<array<string, mixed>>
   */
  public static function withNames(array $rules, array $groups, ModuleSettings $settings): array {
    $named = [];
    foreach ($rules as $rule) {
      $group = $groups[$rule['group_id']] ?? NULL;
      $rule['group_name'] = is_array($group) && is_string($group['displayName'] ?? NULL) ? $group['displayName'] : $settings->groupName($rule['group_id']);
      $named[] = $rule;
    }

    return $named;
  }

  /**
   * Groups to offer: those the rules name, and the last search's.
   *
   * @param list<array<string, mixed>> $results
   *
   * @return array<string, array{name: string, refused: ?string}>
   */
  private static function knownGroups(ModuleSettings $settings, array $results): array {
    $groups = [];
    foreach (['groups.import_rules', 'groups.provision_rules'] as $path) {
      foreach (self::storedRows($settings->get($path, [])) as $rule) {
        $id = (string) ($rule['group_id'] ?? '');
        if ($id !== '') {
          $groups[$id] = ['name' => self::label($settings->groupName($id), $id), 'refused' => NULL];
        }
      }
    }
    foreach ($settings->importScopeGroups() as $id) {
      $groups[$id] ??= ['name' => self::label($settings->groupName($id), $id), 'refused' => NULL];
    }
    foreach ($results as $group) {
      $id = is_string($group['id'] ?? NULL) ? $group['id'] : '';
      if ($id === '') {
        continue;
      }
      $target = is_array($group['target'] ?? NULL) ? $group['target'] : [];
      $groups[$id] = [
        'name' => self::label((string) ($group['displayName'] ?? ''), $id),
        'refused' => !empty($target['allowed']) ? NULL : (string) ($target['message'] ?? $target['reason'] ?? ''),
      ];
    }

    return $groups;
  }

  private static function label(string $name, string $id): string {
    return $name !== '' ? sprintf('%s (%s)', $name, $id) : $id;
  }

  /**
   * @param array<string|int, mixed> $options
   *
   * @return array<string, mixed>
   */
  private static function select(TranslatableMarkup $title, array $options, string $default): array {
    if ($default !== '' && !isset($options[$default])) {
      $options[$default] = $default;
    }

    return ['#type' => 'select', '#title' => $title, '#title_display' => 'invisible', '#options' => $options, '#default_value' => $default];
  }

  /**
   * @param mixed $rows
   *
   * @return list<array<string, mixed>>
   */
  private static function storedRows($rows): array {
    return is_array($rows) ? array_values(array_filter($rows, 'is_array')) : [];
  }

  /**
   * Submitted table rows with both a group and a role.
   *
   * @param mixed $rows
   *
   * @return array<int, array{group_id: string, role: string, confirmed?: mixed}>
   */
  private static function rows($rows): array {
    $kept = [];
    foreach (is_array($rows) ? $rows : [] as $i => $row) {
      $group = is_array($row) && is_scalar($row['group_id'] ?? NULL) ? trim((string) $row['group_id']) : '';
      $role = is_array($row) && is_scalar($row['role'] ?? NULL) ? trim((string) $row['role']) : '';
      if ($group !== '' && $role !== '') {
        $kept[(int) $i] = ['group_id' => $group, 'role' => $role, 'confirmed' => $row['confirmed'] ?? FALSE];
      }
    }

    return $kept;
  }

}
