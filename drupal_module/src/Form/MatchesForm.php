<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Form;

use Drupal\Core\Entity\EntityTypeManagerInterface;
use Drupal\Core\Form\FormBase;
use Drupal\Core\Form\FormStateInterface;
use Drupal\Core\Link;
use Drupal\entra_provisioning\Provisioning\HeldRemoval;
use Drupal\entra_provisioning\Provisioning\IdentityMatcher;
use Drupal\entra_provisioning\Provisioning\ModuleSettings;
use Drupal\entra_provisioning\Provisioning\Outcome;
use Drupal\entra_provisioning\Provisioning\PendingMatch;
use Drupal\entra_provisioning\Provisioning\RemovalGuard;
use Drupal\entra_provisioning\Provisioning\RemovalRelease;
use Symfony\Component\DependencyInjection\ContainerInterface;

/**
 * The Pending matches tab: matches between Drupal accounts and Entra ID
 * users that wait for an admin (both directions), with Approve and Reject
 * for each, and the removals the accidental-deletion threshold holds, with
 * Release.
 *
 * Every action is a Form API submit (token-protected, route permission
 * "administer entra provisioning"); what it does is IdentityMatcher's and
 * RemovalRelease's.
 */
final class MatchesForm extends FormBase {

  /**
   * Rows shown at once (the oldest first); Drush lists them too.
   */
  private const LIMIT = 200;

  /**
   * Protected, not private: DependencySerializationTrait keeps the service
   * ids of protected properties when Form API caches the form.
   */
  public function __construct(
    protected IdentityMatcher $matcher,
    protected RemovalGuard $removals,
    protected RemovalRelease $release,
    protected EntityTypeManagerInterface $entityTypeManager
  ) {
  }

  /**
   * {@inheritdoc}
   */
  public static function create(ContainerInterface $container) {
    return new static(
      $container->get('entra_provisioning.identity_matcher'),
      $container->get('entra_provisioning.removal_guard'),
      $container->get('entra_provisioning.removal_release'),
      $container->get('entity_type.manager')
    );
  }

  /**
   * {@inheritdoc}
   */
  public function getFormId() {
    return 'entra_provisioning_matches';
  }

  /**
   * {@inheritdoc}
   *
   * @param array<string, mixed> $form
   *
   * @return array<string, mixed>
   */
  public function buildForm(array $form, FormStateInterface $form_state) {
    // The first button of the form: Form API falls back to the first
    // button when the one clicked is no longer there (handled meanwhile
    // elsewhere), and that must be harmless.
    $form['refresh'] = [
      '#type' => 'submit',
      '#value' => $this->t('Refresh'),
      '#name' => 'refresh',
      '#submit' => ['::refresh'],
      '#limit_validation_errors' => [],
      '#weight' => -100,
    ];
    $pending = $this->matcher->pending(self::LIMIT);
    $names = $this->accountNames(array_map(static fn (PendingMatch $m): int => $m->uid, $pending));
    $form['intro'] = [
      '#markup' => '<p>' . $this->t('Each row is a Drupal account and an Entra ID user that share a userPrincipalName, a mail or a name, and that nothing links. Nothing was linked, changed or sent to either account. Approve a match only if both are the same person: the accounts are linked, and from then on provisioning, blocking and the import follow the link. Reject it otherwise: it is not proposed again.') . '</p>',
    ];
    $form['matches'] = [
      '#type' => 'table',
      '#header' => [
        $this->t('Found by'),
        $this->t('Drupal account'),
        $this->t('Entra ID user'),
        $this->t('Display name'),
        $this->t('Mail'),
        $this->t('Enabled'),
        $this->t('Admin role'),
        $this->t('Matched on'),
        $this->t('Why it was not linked'),
        $this->t('Operations'),
      ],
      '#empty' => $this->t('No match waits for an admin.'),
    ];
    foreach ($pending as $match) {
      $candidate = $match->candidate;
      $row = [
        'found' => ['#plain_text' => $match->direction === ModuleSettings::DIRECTION_DRUPAL_TO_ENTRA ? (string) $this->t('Provisioning') : (string) $this->t('Import')],
        'account' => isset($names[$match->uid])
          ? Link::createFromRoute($names[$match->uid], 'entity.user.canonical', ['user' => $match->uid])->toRenderable()
          : ['#plain_text' => (string) $this->t('uid @uid', ['@uid' => $match->uid])],
        'entra' => ['#plain_text' => $match->entraName()],
        'display' => ['#plain_text' => (string) ($candidate['displayName'] ?? '-')],
        'mail' => ['#plain_text' => (string) ($candidate['mail'] ?? '-')],
        'enabled' => ['#plain_text' => $this->yesNo($candidate['accountEnabled'] ?? NULL)],
        'privileged' => ['#plain_text' => $this->yesNo($candidate['privileged'] ?? NULL)],
        'on' => ['#plain_text' => $match->matchedOn()],
        'why' => ['#plain_text' => implode('; ', $match->reasons)],
        'operations' => [
          'approve' => [
            '#type' => 'submit',
            '#value' => $this->t('Approve'),
            // Unique names: the triggering element is found by
            // name, not by label.
            '#name' => 'approve_' . $match->id,
            '#entra_match' => $match->id,
            '#submit' => ['::approve'],
            '#limit_validation_errors' => [],
          ],
          'reject' => [
            '#type' => 'submit',
            '#value' => $this->t('Reject'),
            '#name' => 'reject_' . $match->id,
            '#entra_match' => $match->id,
            '#submit' => ['::reject'],
            '#limit_validation_errors' => [],
          ],
        ],
      ];
      $form['matches'][$match->id] = $row;
    }

    $held = $this->removals->countHeld();
    $form['held'] = [
      '#type' => 'details',
      '#title' => $this->t('Held removals'),
      '#open' => array_sum($held) > 0,
    ];
    $form['held']['intro'] = [
      '#markup' => '<p>' . $this->t('When one import round would block or delete more Drupal accounts than the accidental-deletion threshold (step 3), or more Entra ID accounts would be disabled or deleted within an hour, those removals wait here. Check Entra ID first (a mass deletion, a wrong scope?), then release them.') . '</p>',
    ];
    $rows = [];
    foreach ([ModuleSettings::DIRECTION_ENTRA_TO_DRUPAL, ModuleSettings::DIRECTION_DRUPAL_TO_ENTRA] as $direction) {
      foreach ($this->removals->held($direction, self::LIMIT) as $removal) {
        $rows[] = $this->removalRow($removal);
      }
    }
    $form['held']['list'] = [
      '#type' => 'table',
      '#header' => [$this->t('Direction'), $this->t('Drupal uid'), $this->t('Entra ID object'), $this->t('What'), $this->t('Held since')],
      '#rows' => $rows,
      '#empty' => $this->t('No removal is held.'),
    ];
    if (array_sum($held) > 0) {
      $form['held']['release'] = [
        '#type' => 'submit',
        '#value' => $this->t('Release all held removals'),
        '#name' => 'release_removals',
        '#submit' => ['::releaseRemovals'],
        '#limit_validation_errors' => [],
      ];
    }
    $form['#cache'] = ['max-age' => 0];

    return $form;
  }

  /**
   * {@inheritdoc}
   *
   * @param array<string, mixed> $form
   */
  public function submitForm(array &$form, FormStateInterface $form_state) {
    // Every button has its own submit handler.
  }

  /**
   * @param array<string, mixed> $form
   */
  public function refresh(array &$form, FormStateInterface $form_state): void {
  }

  /**
   * @param array<string, mixed> $form
   */
  public function approve(array &$form, FormStateInterface $form_state): void {
    if ($this->clicked($form_state)) {
      $this->report($this->matcher->approve($this->triggeredMatch($form_state)));
    }
  }

  /**
   * @param array<string, mixed> $form
   */
  public function reject(array &$form, FormStateInterface $form_state): void {
    if ($this->clicked($form_state)) {
      $this->report($this->matcher->reject($this->triggeredMatch($form_state)));
    }
  }

  /**
   * @param array<string, mixed> $form
   */
  public function releaseRemovals(array &$form, FormStateInterface $form_state): void {
    if (!$this->clicked($form_state)) {
      return;
    }
    $released = $this->release->releaseAll();
    $this->messenger()->addStatus($this->t('Released: the import applied @imported removal(s); @queued Entra ID removal(s) are queued again.', [
      '@imported' => array_sum($released['imported']),
      '@queued' => $released['queued'],
    ]));
  }

  /**
   * Whether the admin really clicked the triggering button: when the
   * clicked button is gone from the rebuilt form, Form API falls back to
   * another one, which must then do nothing.
   */
  private function clicked(FormStateInterface $form_state): bool {
    $trigger = $form_state->getTriggeringElement();
    $name = is_array($trigger) ? ($trigger['#name'] ?? NULL) : NULL;
    if (is_string($name) && array_key_exists($name, $form_state->getUserInput())) {
      return TRUE;
    }
    $this->messenger()->addWarning($this->t('The list had changed since the page was loaded, so nothing was done. Check the list again.'));

    return FALSE;
  }

  private function triggeredMatch(FormStateInterface $form_state): int {
    $trigger = $form_state->getTriggeringElement();

    return (int) ($trigger['#entra_match'] ?? 0);
  }

  private function report(Outcome $outcome): void {
    if ($outcome->status === Outcome::DONE) {
      $this->messenger()->addStatus($outcome->message);
    }
    else {
      $this->messenger()->addError($outcome->message);
    }
  }

  /**
   * @param list<int> $uids
   *
   * @return array<int, string>
   */
  private function accountNames(array $uids): array {
    $names = [];
    if ($uids === []) {
      return $names;
    }
    foreach ($this->entityTypeManager->getStorage('user')->loadMultiple($uids) as $uid => $account) {
      $names[(int) $uid] = (string) $account->label();
    }

    return $names;
  }

  /**
   * @param mixed $value
   */
  private function yesNo($value): string {
    return (string) ($value === NULL ? $this->t('unknown') : (!empty($value) ? $this->t('yes') : $this->t('no')));
  }

  /**
   * @return list<string>
   */
  private function removalRow(HeldRemoval $removal): array {
    $fromImport = $removal->direction === ModuleSettings::DIRECTION_ENTRA_TO_DRUPAL;
    if ($fromImport) {
      $what = $removal->action === 'deleted' ? $this->t('Removal policy: the Entra ID user was deleted for good') : $this->t('Removal policy: the Entra ID user was soft-deleted');
    }
    else {
      $what = $removal->action === 'delete' ? $this->t('Delete the Entra ID account') : $this->t('Disable the Entra ID account');
    }

    return [
      (string) ($fromImport ? $this->t('Entra ID → Drupal') : $this->t('Drupal → Entra ID')),
      (string) $removal->uid,
      (string) ($removal->entraId ?? '-'),
      (string) $what,
      gmdate('Y-m-d H:i', $removal->created) . ' UTC',
    ];
  }

}
