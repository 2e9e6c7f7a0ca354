<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Form;

use Drupal\Component\Utility\Html;
use Drupal\Core\Entity\EntityFieldManagerInterface;
use Drupal\Core\Form\FormStateInterface;
use Drupal\entra_provisioning\Native\Exception\ConfigException;
use Drupal\entra_provisioning\Drupal\BulkSyncBatch;
use Drupal\entra_provisioning\Native\FfiLoader;
use Drupal\entra_provisioning\Native\Exception\EntraException;
use Drupal\entra_provisioning\Provisioning\ModuleSettings;
use Drupal\entra_provisioning\Provisioning\BulkScope;
use Drupal\entra_provisioning\Provisioning\BulkSync;
use Drupal\entra_provisioning\Provisioning\GroupRulesCheck;
use Drupal\entra_provisioning\Provisioning\RoleFactsInterface;
use Drupal\entra_provisioning\Provisioning\IdentityMatcher;
use Drupal\entra_provisioning\Provisioning\Outcome;
use Symfony\Component\DependencyInjection\ContainerInterface;

/**
 * Step 3: manual and automatic provisioning, Sync Users, Sync all users
 * (Batch API), what happens on update/block/cancel/delete, attribute mapping.
 *
 * The Graph properties offered in the mapping table come from the library
 * (entra_mapping_properties), which also checks the mapping before it is saved.
 */
final class ProvisioningForm extends WizardFormBase {

  protected EntityFieldManagerInterface $entityFieldManager;

  protected BulkSync $bulkSync;

  protected IdentityMatcher $matcher;

  protected RoleFactsInterface $roleFacts;

  protected GroupRulesCheck $groupRules;

  /**
   * {@inheritdoc}
   */
  public static function create(ContainerInterface $container) {
    $form = parent::create($container);
    $form->entityFieldManager = $container->get('entity_field.manager');
    $form->bulkSync = $container->get('entra_provisioning.bulk_sync');
    $form->matcher = $container->get('entra_provisioning.identity_matcher');
    $form->roleFacts = $container->get('entra_provisioning.role_facts');
    $form->groupRules = $container->get('entra_provisioning.group_rules_check');

    return $form;
  }

  /**
   * {@inheritdoc}
   */
  public function getFormId() {
    return 'entra_provisioning_provisioning';
  }

  /**
   * The user fields that can feed a Graph property: label keyed by name.
   *
   * @return array<string, string>
   */
  private function userFields(): array {
    $fields = [];
    foreach ($this->entityFieldManager->getFieldDefinitions('user', 'user') as $name => $definition) {
      if (!$definition->getFieldStorageDefinition()->isBaseField()) {
        $fields[$name] = (string) $definition->getLabel() . ' (' . $name . ')';
      }
    }
    ksort($fields);

    return $fields;
  }

  /**
   * {@inheritdoc}
   *
   * @param array<string, mixed> $form
   *
   * @return array<string, mixed>
   */
  public function buildForm(array $form, FormStateInterface $form_state) {
    $settings = $this->clients->settings();
    if (!$settings->drupalToEntra()) {
      $form['direction_off'] = [
        '#markup' => '<p>' . $this->t('Drupal → Entra ID is off on step 2: nothing is provisioned automatically.') . '</p>',
      ];
    }

    // The form's default button comes first in the form: Enter in any
    // field saves the settings (a browser submits with the first button)
    // instead of running Sync, and a click on a button that is gone from
    // an expired form falls back to saving too, never to Sync.
    $form['default_save'] = [
      '#type' => 'submit',
      '#value' => $this->t('Save configuration'),
      '#attributes' => ['class' => ['visually-hidden'], 'tabindex' => '-1', 'aria-hidden' => 'true'],
      '#weight' => -1000,
    ];

    $form['manual'] = ['#type' => 'details', '#title' => $this->t('Manual / on-demand'), '#open' => TRUE];
    $form['manual']['manual_create'] = [
      '#type' => 'checkbox',
      '#title' => $this->t('Create users on demand'),
      '#description' => $this->t('Allow creating (or linking) the Entra ID account of a chosen user with Sync below.'),
      '#config_target' => self::target('provisioning.manual_create'),
    ];

    $form['sync'] = ['#type' => 'details', '#title' => $this->t('Sync Users'), '#open' => TRUE];
    $form['sync']['sync_user'] = [
      '#type' => 'entity_autocomplete',
      '#target_type' => 'user',
      '#selection_settings' => ['include_anonymous' => FALSE],
      '#title' => $this->t('Drupal username'),
      '#description' => $this->t('Sync creates the Entra ID account now, or brings the linked one in step. When the userPrincipalName or mail is already held by an Entra ID account this site did not create, nothing is linked or sent to it: the account is shown here, and you may link to it. Preview shows what would be sent (password redacted) and sends nothing. The sign-in name of an existing Entra ID account is never renamed unless "Rename the Entra sign-in name when the Drupal username changes" is ticked under Attribute mapping.'),
    ];
    $form['sync']['buttons'] = ['#type' => 'actions'];
    $form['sync']['buttons']['sync'] = [
      '#type' => 'submit',
      '#value' => $this->t('Sync'),
      '#name' => 'entra_sync',
      '#submit' => ['::syncUser'],
      '#limit_validation_errors' => [['sync_user']],
    ];
    $form['sync']['buttons']['preview'] = [
      '#type' => 'submit',
      '#value' => $this->t('Preview'),
      '#name' => 'entra_preview',
      '#submit' => ['::previewUser'],
      '#limit_validation_errors' => [['sync_user']],
    ];
    $match = $form_state->get('entra_match');
    if (is_array($match)) {
      $existing = is_array($match['existing'] ?? NULL) ? $match['existing'] : [];
      $form['sync']['match'] = [
        '#type' => 'details',
        '#open' => TRUE,
        '#title' => $this->t('An Entra ID account already holds this userPrincipalName or mail'),
        'intro' => ['#markup' => '<p>' . $this->t('Nothing was linked or sent to it. Link the Drupal account to it only if it is the same person: the link writes the mapped profile (display name and mapped fields), never its sign-in name, mail or enabled state.') . '</p>'],
        'candidate' => [
          '#type' => 'table',
          '#header' => [$this->t('Entra ID user'), $this->t('Display name'), $this->t('Mail'), $this->t('Enabled'), $this->t('Admin role'), $this->t('Matched on')],
          '#rows' => [[
            (string) ($existing['userPrincipalName'] ?? $existing['id'] ?? ''),
            (string) ($existing['displayName'] ?? '-'),
            (string) ($existing['mail'] ?? '-'),
            ($existing['accountEnabled'] ?? NULL) === NULL ? $this->t('unknown') : (!empty($existing['accountEnabled']) ? $this->t('yes') : $this->t('no')),
            ($existing['privileged'] ?? NULL) === NULL ? $this->t('unknown') : (!empty($existing['privileged']) ? $this->t('yes') : $this->t('no')),
            (string) ($existing['matched_on'] ?? ''),
          ]],
        ],
        'actions' => [
          '#type' => 'actions',
          'link' => [
            '#type' => 'submit',
            '#value' => $this->t('Link to this account'),
            '#name' => 'entra_match_link',
            '#submit' => ['::linkMatch'],
            '#limit_validation_errors' => [],
          ],
          'cancel' => [
            '#type' => 'submit',
            '#value' => $this->t('Cancel'),
            '#name' => 'entra_match_cancel',
            '#submit' => ['::cancelMatch'],
            '#limit_validation_errors' => [],
          ],
        ],
      ];
    }
    $preview = $form_state->get('entra_preview');
    if (is_array($preview)) {
      $form['sync']['preview_result'] = [
        '#type' => 'details',
        '#open' => TRUE,
        '#title' => $preview['ok']
          ? $this->t('What would be sent for %name', ['%name' => (string) $preview['name']])
          : $this->t('Preview failed'),
        'body' => [
          '#markup' => $preview['ok']
            ? '<pre>' . Html::escape((string) json_encode($preview['body'], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE)) . '</pre>'
            : '<p>' . Html::escape($this->formatter->summary((array) $preview['error'])) . '</p>',
        ],
      ];
      if (!empty($preview['groups'])) {
        $settings = $this->clients->settings();
        $form['sync']['preview_result']['groups'] = [
          '#theme' => 'item_list',
          '#title' => $this->t('Entra ID groups the roles would add it to'),
          '#items' => array_map(fn (array $g): string => (string) $this->t('@group (role @role)', [
            '@group' => $settings->groupName((string) $g['group_id']) !== '' ? $settings->groupName((string) $g['group_id']) . ' (' . $g['group_id'] . ')' : (string) $g['group_id'],
            '@role' => (string) ($g['role'] ?? ''),
          ]), $preview['groups']),
        ];
      }
    }

    $form['sync_all'] = ['#type' => 'details', '#title' => $this->t('Sync all users'), '#open' => FALSE];
    $form['sync_all']['intro'] = [
      '#markup' => '<p>' . $this->t('Creates or links the Entra ID account of every active Drupal account, in chunks sent as Graph batches, with a progress bar; accounts already linked get their mapped properties updated. The summary is shown at the end and every failure is logged with its cause (type user_provisioning). The same runs on the command line with "drush entra:provision --all".') . '</p>',
    ];
    $form['sync_all']['include_superuser'] = [
      '#type' => 'checkbox',
      '#title' => $this->t('Include uid 1, the site\'s first administrator'),
      '#description' => $this->t('Left out by default: its sign-in usually stays Drupal\'s own.'),
    ];
    $form['sync_all']['include_blocked'] = [
      '#type' => 'checkbox',
      '#title' => $this->t('Include blocked accounts'),
    ];
    $form['sync_all']['chunk_size'] = [
      '#type' => 'number',
      '#title' => $this->t('Users per chunk'),
      '#min' => 1,
      '#config_target' => self::target('bulk.chunk_size'),
    ];
    try {
      // The library's limit per call; a larger setting is capped to it.
      $form['sync_all']['chunk_size']['#max'] = $this->clients->facts()->maxUsersPerCall();
    }
    catch (EntraException $e) {
      // The library is unavailable: the status report says why.
    }
    $form['sync_all']['buttons'] = ['#type' => 'actions'];
    $form['sync_all']['buttons']['sync_all'] = [
      '#type' => 'submit',
      '#value' => $this->t('Sync all users'),
      '#name' => 'entra_sync_all',
      '#submit' => ['::syncAll'],
      '#limit_validation_errors' => [['include_superuser'], ['include_blocked']],
    ];

    $form['automatic'] = ['#type' => 'details', '#title' => $this->t('Automatic'), '#open' => TRUE];
    $form['automatic']['auto_create'] = [
      '#type' => 'checkbox',
      '#title' => $this->t('Create users automatically'),
      '#description' => $this->t('Provision every new Drupal account. The account save only queues the work; it runs right after the response, and cron retries whatever could not finish.'),
      '#config_target' => self::target('provisioning.auto_create'),
    ];

    $policies = [
      ModuleSettings::MATCH_REVIEW => $this->t('Review: an admin approves each match (recommended; required with open registration)'),
      ModuleSettings::MATCH_AUTO => $this->t('Automatic, behind guards: never uid 1, an account with a role beyond authenticated, a blocked account, an Entra ID admin-role holder, or an account linked elsewhere'),
    ];
    $form['matching'] = ['#type' => 'details', '#title' => $this->t('Identity matching'), '#open' => TRUE];
    $form['matching']['intro'] = [
      '#markup' => '<p>' . $this->t('A Drupal account and an Entra ID user that this site did not link may share a userPrincipalName, a mail or a name. That proves nothing: anyone may register "adele" on an open site, and Entra ID\'s mail is not verified. Such a match is never linked silently; see the Pending matches tab.') . '</p>',
    ];
    $form['matching']['matching_drupal_to_entra'] = [
      '#type' => 'select',
      '#title' => $this->t('When a new Drupal account matches an existing Entra ID user'),
      '#options' => $policies,
      '#config_target' => self::target('matching.drupal_to_entra'),
    ];
    $form['matching']['matching_entra_to_drupal'] = [
      '#type' => 'select',
      '#title' => $this->t('When an imported Entra ID user matches an existing Drupal account'),
      '#options' => $policies,
      '#config_target' => self::target('matching.entra_to_drupal'),
    ];
    $form['matching']['deprovision_matched'] = [
      '#type' => 'checkbox',
      '#title' => $this->t('Deprovision automatically matched links'),
      '#description' => $this->t('Off by default: blocking, cancelling or deleting follows only links this site created or an admin approved, in both directions (disabling, deleting, and changing the enabled state or mail). Automatic matches only get their profile brought in step.'),
      '#config_target' => self::target('matching.deprovision_matched'),
    ];
    $form['matching']['removal_threshold'] = [
      '#type' => 'number',
      '#title' => $this->t('Accidental-deletion threshold'),
      '#description' => $this->t('When one import round would block or delete more Drupal accounts than this, or more Entra ID accounts would be disabled or deleted within an hour, those removals are held until an admin releases them on the Pending matches tab.'),
      '#min' => 1,
      '#required' => TRUE,
      '#config_target' => self::target('matching.removal_threshold'),
    ];

    $form['lifecycle'] = ['#type' => 'details', '#title' => $this->t('When a Drupal account changes'), '#open' => TRUE];
    $form['lifecycle']['intro'] = [
      '#markup' => '<p>' . $this->t('Each change goes through the same queue as the creation, in order per user (an update or a delete never overtakes the creation), right after the response and on cron.') . '</p>',
    ];
    $form['lifecycle']['lifecycle_update'] = [
      '#type' => 'checkbox',
      '#title' => $this->t('Update: send the mapped properties that changed'),
      '#config_target' => self::target('lifecycle.update'),
    ];
    $form['lifecycle']['lifecycle_sync_mail'] = [
      '#type' => 'checkbox',
      '#title' => $this->t('Send a changed e-mail address to Entra ID'),
      '#description' => $this->t('Off by default. Drupal does not verify a changed e-mail address, and other applications of the tenant may trust the Entra ID mail attribute (sign-in hints, mail routing, matching). Switch it on only if this site verifies address changes. The address is always sent when the Entra ID account is created.'),
      '#config_target' => self::target('lifecycle.sync_mail'),
    ];
    $form['lifecycle']['lifecycle_sync_status'] = [
      '#type' => 'checkbox',
      '#title' => $this->t('Blocked: disable the Entra ID account; unblocked: enable it again'),
      '#description' => $this->t('When off, the Entra ID account keeps its own enabled state whatever happens to the Drupal account.'),
      '#config_target' => self::target('lifecycle.sync_status'),
    ];
    $policies = [
      'none' => $this->t('Do nothing'),
      'disable' => $this->t('Disable the Entra ID account'),
      'delete' => $this->t('Delete the Entra ID account (restorable in Entra ID for 30 days)'),
    ];
    $form['lifecycle']['lifecycle_on_cancel'] = [
      '#type' => 'select',
      '#title' => $this->t('Account cancelled (blocked, kept)'),
      '#options' => $policies,
      '#config_target' => self::target('lifecycle.on_cancel'),
    ];
    $form['lifecycle']['lifecycle_on_delete'] = [
      '#type' => 'select',
      '#title' => $this->t('Account deleted'),
      '#description' => $this->t('Also applies to the cancellation methods that delete the account. Entra ID refuses to delete or disable users holding admin roles with User.ReadWrite.All; those are logged as failed.'),
      '#options' => $policies,
      '#config_target' => self::target('lifecycle.on_delete'),
    ];

    $userFields = $this->userFields();
    $form['mapping'] = ['#type' => 'details', '#title' => $this->t('Attribute mapping'), '#open' => TRUE];
    $form['mapping']['upn_source'] = [
      '#type' => 'select',
      '#title' => $this->t('userPrincipalName and mailNickname from'),
      '#description' => $this->t('Sets the sign-in name when the Entra ID account is created. It is never renamed afterwards unless the box below is ticked.'),
      '#options' => ['name' => $this->t('Username'), 'mail' => $this->t('Local part of the e-mail address')],
      '#config_target' => self::target('mapping.upn_source'),
    ];
    $form['mapping']['update_upn'] = [
      '#type' => 'checkbox',
      '#title' => $this->t('Rename the Entra sign-in name when the Drupal username changes'),
      '#description' => $this->t('Off by default: a sign-in name that changes under a user is rarely wanted (saved sign-ins, devices and other applications know the old one). When ticked, a changed username (or e-mail address, when the sign-in name comes from it) renames the userPrincipalName and mailNickname; otherwise the userPrincipalName keeps its first value.'),
      '#config_target' => self::target('mapping.update_upn'),
    ];
    $form['mapping']['display_name_field'] = [
      '#type' => 'select',
      '#title' => $this->t('displayName from'),
      '#options' => ['name' => $this->t('Username'), 'mail' => $this->t('E-mail address')] + $userFields,
      '#config_target' => self::target('mapping.display_name_field'),
    ];
    $form['mapping']['force_change_password'] = [
      '#type' => 'checkbox',
      '#title' => $this->t('Require a password change at first sign-in'),
      '#description' => $this->t('The library generates a strong random password; it is never logged or shown.'),
      '#config_target' => self::target('mapping.force_change_password'),
    ];
    $current = $settings->mappedProperties();
    $form['mapping']['properties'] = [
      '#type' => 'table',
      '#header' => [$this->t('Drupal field'), $this->t('Graph property')],
      '#empty' => $this->t('The user entity has no fields of its own yet. Username, e-mail and status always map to userPrincipalName/mailNickname, mail and accountEnabled.'),
      '#tree' => TRUE,
    ];
    $propertyOptions = ['' => $this->t('- Not mapped -')];
    try {
      foreach ($this->clients->mappableProperties()['properties'] as $property) {
        $propertyOptions[$property['name']] = $property['max_length'] !== NULL
          ? $this->t('@name (at most @max characters)', ['@name' => $property['name'], '@max' => $property['max_length']])
          : $property['name'];
      }
    }
    catch (EntraException $e) {
      $form['mapping']['unavailable'] = [
        '#markup' => '<p>' . $this->t('The list of Graph properties comes from the native library, which cannot be loaded here: @error See Reports > Status report.', ['@error' => $e->getMessage()]) . '</p>',
        '#weight' => -10,
      ];
    }
    foreach ($current as $field => $property) {
      if (!isset($propertyOptions[$property])) {
        $propertyOptions[$property] = $property;
      }
    }
    foreach ($userFields as $field => $label) {
      $form['mapping']['properties'][$field]['field'] = ['#plain_text' => $label];
      $form['mapping']['properties'][$field]['property'] = [
        '#type' => 'select',
        '#title' => $this->t('Graph property for @field', ['@field' => $label]),
        '#title_display' => 'invisible',
        '#options' => $propertyOptions,
        '#default_value' => $current[$field] ?? '',
      ];
    }

    GroupRulesSection::build($form, $form_state, $settings, $this->roleFacts->labels());

    $form = parent::buildForm($form, $form_state);
    $this->addBackLink($form, 'entra_provisioning.direction');

    return $form;
  }

  /**
   * The mapping list from the submitted table.
   *
   * @return list<array{field: string, property: string}>
   */
  private function submittedProperties(FormStateInterface $form_state): array {
    $list = [];
    $rows = $form_state->getValue('properties');
    if (!is_array($rows)) {
      return [];
    }
    foreach ($rows as $field => $row) {
      $property = is_array($row) ? (string) ($row['property'] ?? '') : '';
      if ($property !== '') {
        $list[] = ['field' => (string) $field, 'property' => $property];
      }
    }

    return $list;
  }

  /**
   * {@inheritdoc}
   *
   * @param array<string, mixed> $form
   */
  public function validateForm(array &$form, FormStateInterface $form_state) {
    parent::validateForm($form, $form_state);
    $trigger = $form_state->getTriggeringElement();
    if (isset($trigger['#name']) && in_array($trigger['#name'], ['entra_sync', 'entra_preview', 'entra_sync_all', 'entra_match_link', 'entra_match_cancel', 'entra_group_search'], TRUE)) {
      return;
    }
    // Let the library check the mapping before it is saved (no network).
    if ($this->clients->missing() !== [] || !FfiLoader::isUsable($this->clients->environment())) {
      return;
    }
    $this->validateGroupRules($form_state);
    $settings = $this->clients->settings();
    $mapping = $settings->mapping();
    $mapping['upn_source'] = (string) $form_state->getValue('upn_source', $mapping['upn_source']);
    $mapping['display_name_field'] = (string) $form_state->getValue('display_name_field', $mapping['display_name_field']);
    $mapping['force_change_password'] = (bool) $form_state->getValue('force_change_password', $mapping['force_change_password']);
    $mapping['properties'] = [];
    foreach ($this->submittedProperties($form_state) as $row) {
      $mapping['properties'][$row['field']] = $row['property'];
    }
    try {
      $this->clients->validate($mapping);
    }
    catch (ConfigException $e) {
      $field = (string) $e->field();
      if (str_starts_with($field, 'mapping.properties.')) {
        $form_state->setErrorByName('properties][' . substr($field, strlen('mapping.properties.')) . '][property', $e->getMessage());
      }
      elseif (str_starts_with($field, 'mapping.')) {
        $form_state->setErrorByName(substr($field, strlen('mapping.')), $e->getMessage());
      }
    }
    catch (EntraException $e) {
      // Library unavailable: the status report says why; saving is still allowed.
    }
    $this->labelErrors($form, $form_state);
  }

  /**
   * {@inheritdoc}
   *
   * @param array<string, mixed> $form
   */
  public function submitForm(array &$form, FormStateInterface $form_state) {
    parent::submitForm($form, $form_state);
    $settings = $this->clients->settings();
    $rules = GroupRulesSection::submittedRules($form_state);
    $groups = $form_state->get('entra_group_facts');
    $groups = is_array($groups) ? $groups : [];
    $this->configFactory()->getEditable(ModuleSettings::CONFIG_NAME)
      ->set('mapping.properties', $this->submittedProperties($form_state))
      ->set('groups.import_rules', GroupRulesSection::withNames($rules['import_rules'], $groups, $settings))
      ->set('groups.provision_rules', GroupRulesSection::withNames($rules['provision_rules'], $groups, $settings))
      ->set('groups.strict', (bool) $form_state->getValue('groups_strict'))
      ->set('groups.import_scope', GroupRulesSection::ticked($form_state, 'import_scope'))
      ->set('groups.provision_scope', GroupRulesSection::ticked($form_state, 'provision_scope'))
      ->save();
    $this->clients->reset();
  }

  /**
   * The library judges the group rules (a restricted or admin role needs
   * the rule's confirmation, a provisioning group must accept members);
   * each problem is attached to its table cell.
   */
  private function validateGroupRules(FormStateInterface $form_state): void {
    $rules = GroupRulesSection::submittedRules($form_state);
    if ($rules['import_rules'] === [] && $rules['provision_rules'] === []) {
      return;
    }
    try {
      $check = $this->groupRules->check($rules['import_rules'], $rules['provision_rules']);
    }
    catch (\Throwable $e) {
      $form_state->setErrorByName('group_search', $this->t('The groups of the rules could not be read from Entra ID, so the rules were not saved: @error', ['@error' => $this->formatter->summary($this->formatter->describeError($e))]));

      return;
    }
    foreach ($check['errors'] as $error) {
      $form_state->setErrorByName($error['element'], $error['message']);
    }
    $form_state->set('entra_group_facts', $check['groups']);
  }

  /**
   * Submit handler of "Search groups": offers the groups found (refused
   * targets marked unavailable with the library's reason).
   *
   * @param array<string, mixed> $form
   */
  public function searchGroups(array &$form, FormStateInterface $form_state): void {
    $query = trim((string) $form_state->getValue('group_search'));
    if ($query === '') {
      $this->messenger()->addError($this->t('Enter the start of a group name to search.'));

      return;
    }
    try {
      $found = $this->groupRules->search($query);
    }
    catch (EntraException $e) {
      $this->messenger()->addError($this->formatter->summary($this->formatter->describeError($e)));

      return;
    }
    if ($found === []) {
      $this->messenger()->addWarning($this->t('No Entra ID group name starts with %query (new groups may take a few seconds to be found).', ['%query' => $query]));
    }
    $form_state->set(GroupRulesSection::RESULTS, $found);
    $form_state->setRebuild();
  }

  /**
   * The uid chosen in the autocomplete, or 0 (with a form error).
   */
  private function chosenUid(FormStateInterface $form_state): int {
    $uid = $form_state->getValue('sync_user');

    return is_numeric($uid) ? (int) $uid : 0;
  }

  /**
   * Submit handler of "Sync": provisions the chosen user now.
   *
   * @param array<string, mixed> $form
   */
  public function syncUser(array &$form, FormStateInterface $form_state): void {
    $uid = $this->chosenUid($form_state);
    if ($uid <= 0) {
      $this->messenger()->addError($this->t('Choose a Drupal user to sync.'));

      return;
    }
    $outcome = $this->provisioner->provisionNow($uid);
    if ($outcome->status === Outcome::REVIEW) {
      $this->messenger()->addWarning($this->t('@summary', ['@summary' => $outcome->message]));
      $form_state->set('entra_match', $outcome->result);
      $form_state->setRebuild();
    }
    elseif ($outcome->status === Outcome::DONE) {
      $this->messenger()->addStatus($this->t('@summary', ['@summary' => $outcome->message]));
    }
    elseif ($outcome->status === Outcome::RETRY) {
      $this->messenger()->addWarning($this->t('@summary', ['@summary' => $outcome->message]));
    }
    else {
      $this->messenger()->addError($this->t('Sync failed. @summary', ['@summary' => $outcome->message]));
    }
  }

  /**
   * Whether this button was really clicked: when the form state that held
   * the match has expired, Form API falls back to another button.
   */
  private function clicked(FormStateInterface $form_state, string $name): bool {
    if (array_key_exists($name, $form_state->getUserInput()) && is_array($form_state->get('entra_match'))) {
      return TRUE;
    }
    $this->messenger()->addWarning($this->t('The page was out of date, so nothing was done: use Sync again.'));

    return FALSE;
  }

  /**
   * Submit handler of "Sync all users": starts the batch.
   *
   * @param array<string, mixed> $form
   */
  public function syncAll(array &$form, FormStateInterface $form_state): void {
    $refused = $this->bulkSync->refusal();
    if ($refused !== NULL) {
      $this->messenger()->addError($refused);

      return;
    }
    $scope = new BulkScope((bool) $form_state->getValue('include_superuser'), (bool) $form_state->getValue('include_blocked'));
    try {
      $chunkSize = $this->bulkSync->chunkSize();
    }
    catch (EntraException $e) {
      $this->messenger()->addError($this->formatter->summary($this->formatter->describeError($e)));

      return;
    }
    batch_set(BulkSyncBatch::build($chunkSize, $scope));
  }

  /**
   * Submit handler of "Link to this account": the admin approves the match
   * the Sync just found.
   *
   * @param array<string, mixed> $form
   */
  public function linkMatch(array &$form, FormStateInterface $form_state): void {
    if (!$this->clicked($form_state, 'entra_match_link')) {
      return;
    }
    $match = $form_state->get('entra_match');
    $id = is_array($match) ? (int) ($match['match_id'] ?? 0) : 0;
    $outcome = $this->matcher->approve($id);
    if ($outcome->status === Outcome::DONE) {
      $this->messenger()->addStatus($this->t('@summary', ['@summary' => $outcome->message]));
    }
    else {
      $this->messenger()->addError($this->t('@summary', ['@summary' => $outcome->message]));
    }
    $form_state->set('entra_match', NULL);
    $form_state->setRebuild();
  }

  /**
   * Submit handler of "Cancel": nothing is linked; the match stays on the
   * Pending matches tab, where it can be approved or rejected later.
   *
   * @param array<string, mixed> $form
   */
  public function cancelMatch(array &$form, FormStateInterface $form_state): void {
    if (!$this->clicked($form_state, 'entra_match_cancel')) {
      return;
    }
    $this->messenger()->addStatus($this->t('Nothing was linked. The match waits on the Pending matches tab.'));
    $form_state->set('entra_match', NULL);
    $form_state->setRebuild();
  }

  /**
   * Submit handler of "Preview": shows the mapped Graph body, sends nothing.
   *
   * @param array<string, mixed> $form
   */
  public function previewUser(array &$form, FormStateInterface $form_state): void {
    $uid = $this->chosenUid($form_state);
    if ($uid <= 0) {
      $this->messenger()->addError($this->t('Choose a Drupal user to preview.'));

      return;
    }
    $form_state->set('entra_preview', $this->provisioner->preview($uid));
    $form_state->setRebuild();
  }

}
