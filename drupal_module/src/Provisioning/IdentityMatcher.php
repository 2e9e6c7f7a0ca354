<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

use Drupal\Component\Datetime\TimeInterface;
use Drupal\entra_provisioning\Native\Exception\EntraException;
use Psr\Log\LoggerInterface;

/**
 * Carries out the library's identity-matching decisions: a match between a
 * Drupal account and an Entra user that this site did not link is linked
 * (automatic policy, every guard held), proposed for an admin's approval, or
 * refused. Holds the pending matches and their approval and rejection.
 *
 * The decision itself ("link, review or refuse", and what a link may write)
 * is always entra_decide's; this class gathers the Drupal facts (the link
 * table, the account's uid, roles and status) and stores the outcome.
 */
final class IdentityMatcher {

  public const CODE_PENDING = 'match_pending';
  public const CODE_REFUSED = 'match_refused';
  public const CODE_REJECTED = 'match_rejected';

  public function __construct(
    private ClientFactory $clients,
    private LinkStoreInterface $links,
    private MatchStoreInterface $matches,
    private UserSourceInterface $users,
    private AccountStoreInterface $accounts,
    private AccountWriter $writer,
    private EchoGuard $guard,
    private TimeInterface $clock,
    private LoggerInterface $logger
  ) {
  }

  /**
   * The facts of a Drupal account the library's rules need.
   *
   * @param array<string, mixed> $account
   *   A user array (uid, roles, status).
   *
   * @return array{uid: int, roles: list<string>, status: int, linked_entra_id: ?string}
   */
  public static function accountFacts(array $account, ?LinkRecord $link): array {
    return [
      'uid' => (int) ($account['uid'] ?? 0),
      'roles' => array_values(array_map('strval', is_array($account['roles'] ?? NULL) ? $account['roles'] : [])),
      'status' => empty($account['status']) ? 0 : 1,
      'linked_entra_id' => $link !== NULL && $link->isLinked() ? $link->entraId : NULL,
    ];
  }

  /**
   * Drupal -> Entra: creating $user met $existing, an Entra account that
   * already holds its UPN or mail. Nothing has been sent to it.
   *
   * @param array<string, mixed> $user
   *   The Drupal user array sent to the library.
   * @param array<string, mixed> $existing
   *   ConflictException::existing().
   *
   * @return Outcome
   *   DONE (linked automatically), REVIEW (a pending match) or FAILED
   *   (refused, or an admin rejected this pair before).
   *
   * @throws \Drupal\entra_provisioning\Native\Exception\EntraException
   *   When the automatic link's Graph call fails (the caller retries).
   */
  public function onEntraConflict(array $user, array $existing, ?int $budgetMs = NULL): Outcome {
    $uid = (int) ($user['uid'] ?? 0);
    $name = (string) ($user['name'] ?? '');
    $entraId = (string) $existing['id'];
    $link = $this->links->load($uid);
    $owner = $this->links->loadByEntraId($entraId);
    $decision = $this->clients->client()->decide([
      'decide' => 'entra_candidate',
      'policy' => $this->clients->settings()->matchPolicy(ModuleSettings::DIRECTION_DRUPAL_TO_ENTRA),
      'account' => self::accountFacts($user, $link),
      'candidate' => $existing,
      'candidate_linked_uid' => $owner?->uid,
    ]);
    $reasons = self::reasons($decision);
    $who = self::entraName($existing);
    switch ($decision['outcome'] ?? '') {
      case 'link':
        $provenance = $owner !== NULL && $owner->uid === $uid && $owner->provenance !== NULL ? $owner->provenance : LinkRecord::PROVENANCE_MATCHED;
        $result = $this->clients->client($budgetMs)->linkUser($entraId, $user);
        $this->recordLink($uid, 'linked', $result, $provenance);
        $this->logger->notice('Entra ID provisioning: %name (uid @uid) linked to the existing account %upn (object @entra_id) by the automatic matching policy: @reasons', $this->context($uid, $name, $who, $entraId) + ['@reasons' => implode('; ', $reasons)]);

        return new Outcome(Outcome::DONE, sprintf('Linked Drupal user %s to the existing Entra ID account %s (automatic match).', $name, $who), $result + ['action' => 'linked']);

      case 'review':
        return $this->propose(ModuleSettings::DIRECTION_DRUPAL_TO_ENTRA, $uid, $name, $existing, [], $reasons);

      default:
        return $this->refuse(ModuleSettings::DIRECTION_DRUPAL_TO_ENTRA, $uid, $name, $existing, $reasons);
    }
  }

  /**
   * Entra -> Drupal: the import found $account with the mail (or name) of
   * the Entra user $entraId, which is linked to no Drupal account.
   *
   * @param array<string, mixed> $account
   *   uid, name, mail, status, roles.
   * @param array<string, mixed> $candidate
   *   The Entra user: id, userPrincipalName, displayName, mail,
   *   accountEnabled, matched_on.
   * @param array<string, mixed> $values
   *   The reverse-mapped Drupal values the import would write.
   *
   * @return array{outcome: string, reasons: list<string>, match: ?PendingMatch, new: bool}
   *   outcome "link" (the caller links with provenance matched and writes
   *   what import_write allows), "review" or "refuse" (stored, unless a dry
   *   run), or "rejected" (an admin rejected this pair: leave it).
   */
  public function onDrupalMatch(array $account, array $candidate, array $values, bool $dryRun): array {
    $uid = (int) $account['uid'];
    $entraId = (string) $candidate['id'];
    $stored = $this->matches->find(ModuleSettings::DIRECTION_ENTRA_TO_DRUPAL, $uid, $entraId);
    if ($stored !== NULL && $stored->status === PendingMatch::STATUS_REJECTED) {
      return ['outcome' => 'rejected', 'reasons' => ['an admin rejected this match'], 'match' => $stored, 'new' => FALSE];
    }
    $decision = $this->clients->client()->decide([
      'decide' => 'drupal_candidate',
      'policy' => $this->clients->settings()->matchPolicy(ModuleSettings::DIRECTION_ENTRA_TO_DRUPAL),
      'account' => self::accountFacts($account, $this->links->load($uid)),
      'entra_id' => $entraId,
      'matched_on' => (string) ($candidate['matched_on'] ?? 'mail'),
    ]);
    $outcome = (string) ($decision['outcome'] ?? 'refuse');
    $reasons = self::reasons($decision);
    if ($outcome === 'link' || $dryRun) {
      return ['outcome' => $outcome, 'reasons' => $reasons, 'match' => NULL, 'new' => $stored === NULL];
    }
    $status = $outcome === 'review' ? PendingMatch::STATUS_PENDING : PendingMatch::STATUS_REFUSED;
    [$match, $new] = $this->matches->propose(PendingMatch::propose(ModuleSettings::DIRECTION_ENTRA_TO_DRUPAL, $uid, $entraId, $candidate, $values, $reasons, $status, $this->clock->getCurrentTime()));
    if ($new) {
      $message = $outcome === 'review'
        ? 'Entra ID import: %upn (object @entra_id) matches the Drupal account %name (uid @uid) on @on; nothing was linked or changed. An admin approves or rejects it under Pending matches (drush entra:matches): @reasons'
        : 'Entra ID import: %upn (object @entra_id) matches the Drupal account %name (uid @uid) on @on, and is never linked to it: @reasons';
      $this->logger->warning($message, $this->context($uid, (string) ($account['name'] ?? ''), self::entraName($candidate), $entraId) + [
        '@on' => (string) ($candidate['matched_on'] ?? 'mail'),
        '@reasons' => implode('; ', $reasons),
      ]);
    }

    return ['outcome' => $outcome, 'reasons' => $reasons, 'match' => $match, 'new' => $new];
  }

  /**
   * Matches waiting for an admin, oldest first.
   *
   * @return list<PendingMatch>
   */
  public function pending(int $limit = 200): array {
    return $this->matches->byStatus(PendingMatch::STATUS_PENDING, $limit);
  }

  /**
   * @return array<string, int>
   *   Pending matches per direction.
   */
  public function countPending(): array {
    return $this->matches->countPending();
  }

  public function load(int $id): ?PendingMatch {
    return $this->matches->load($id);
  }

  /**
   * An admin approves a pending match: the accounts are linked with
   * provenance "approved". Drupal -> Entra writes the Entra user's mapped
   * profile properties (entra_link_user); Entra -> Drupal writes the
   * imported values the library allows for an approved link.
   */
  public function approve(int $id): Outcome {
    $match = $this->matches->load($id);
    if ($match === NULL || $match->status !== PendingMatch::STATUS_PENDING) {
      return new Outcome(Outcome::FAILED, sprintf('There is no pending match %d.', $id));
    }
    try {
      return $match->direction === ModuleSettings::DIRECTION_DRUPAL_TO_ENTRA ? $this->approveInEntra($match) : $this->approveInDrupal($match);
    }
    catch (EntraException $e) {
      $message = (string) $this->clients->redact($e->getMessage());
      $this->logger->error('Approving the Entra ID match @id (uid @uid, %upn) failed: @error', ['@id' => $id, '@uid' => $match->uid, '%upn' => $match->entraName(), '@error' => $message]);

      return new Outcome(Outcome::FAILED, sprintf('The match was not approved: %s%s', $message, $e->isRetryable() ? ' Try again later.' : ''));
    }
  }

  /**
   * An admin rejects a pending match: nothing is linked, and the pair is
   * not proposed again.
   */
  public function reject(int $id): Outcome {
    $match = $this->matches->load($id);
    if ($match === NULL || $match->status !== PendingMatch::STATUS_PENDING) {
      return new Outcome(Outcome::FAILED, sprintf('There is no pending match %d.', $id));
    }
    $now = $this->clock->getCurrentTime();
    $this->matches->setStatus($id, PendingMatch::STATUS_REJECTED, $now);
    if ($match->direction === ModuleSettings::DIRECTION_DRUPAL_TO_ENTRA) {
      $this->links->save(LinkRecord::failedAttempt($this->links->load($match->uid), $match->uid, QueueItem::OP_PROVISION, LinkRecord::RESULT_FAILED, self::CODE_REJECTED, sprintf('An admin rejected linking this account to the existing Entra ID account %s. Rename the Drupal account (its userPrincipalName) to provision it.', $match->entraName()), NULL, $now));
    }
    $this->logger->notice('Entra ID match rejected: uid @uid and %upn (object @entra_id) stay unlinked.', $this->context($match->uid, '', $match->entraName(), $match->entraId));

    return new Outcome(Outcome::DONE, sprintf('Rejected: uid %d and %s stay unlinked.', $match->uid, $match->entraName()));
  }

  private function approveInEntra(PendingMatch $match): Outcome {
    $user = $this->users->load($match->uid, $this->clients->mappedFieldNames());
    if ($user === NULL) {
      $this->matches->delete($match->id);

      return new Outcome(Outcome::FAILED, sprintf('There is no Drupal account with uid %d any more.', $match->uid));
    }
    $refusal = $this->refusal('entra_candidate', [
      'account' => self::accountFacts($user, $this->links->load($match->uid)),
      'candidate' => ['id' => $match->entraId] + $match->candidate,
      'candidate_linked_uid' => $this->links->loadByEntraId($match->entraId)?->uid,
    ]);
    if ($refusal !== NULL) {
      return $refusal;
    }
    $result = $this->clients->client($this->clients->settings()->interactiveBudgetMs())->linkUser($match->entraId, $user);
    $this->recordLink($match->uid, 'linked', $result, LinkRecord::PROVENANCE_APPROVED);
    $this->matches->deleteForLink($match->uid, $match->entraId);
    $this->logger->notice('Entra ID match approved: %name (uid @uid) linked to %upn (object @entra_id); properties written: @properties.', $this->context($match->uid, (string) $user['name'], $match->entraName(), $match->entraId) + [
      '@properties' => implode(', ', self::stringList($result['updated_properties'] ?? [])) ?: 'none',
    ]);

    return new Outcome(Outcome::DONE, sprintf('Linked Drupal user %s to the Entra ID account %s (approved).', (string) $user['name'], $match->entraName()), $result);
  }

  private function approveInDrupal(PendingMatch $match): Outcome {
    $account = $this->accounts->load($match->uid);
    if ($account === NULL) {
      $this->matches->delete($match->id);

      return new Outcome(Outcome::FAILED, sprintf('There is no Drupal account with uid %d any more.', $match->uid));
    }
    $link = $this->links->load($match->uid);
    $refusal = $this->refusal('drupal_candidate', [
      'account' => self::accountFacts($account, $link),
      'entra_id' => $match->entraId,
      'matched_on' => $match->matchedOn(),
    ]);
    if ($refusal !== NULL) {
      return $refusal;
    }
    $owner = $this->links->loadByEntraId($match->entraId);
    if ($owner !== NULL && $owner->uid !== $match->uid) {
      return new Outcome(Outcome::FAILED, sprintf('%s is already linked to uid %d.', $match->entraName(), $owner->uid));
    }
    $now = $this->clock->getCurrentTime();
    $upn = $match->candidate['userPrincipalName'] ?? NULL;
    $this->links->save(LinkRecord::succeeded($link, $match->uid, 'imported', $match->entraId, is_string($upn) ? $upn : NULL, NULL, $now, LinkRecord::PROVENANCE_APPROVED));
    $this->matches->deleteForLink($match->uid, $match->entraId);
    $allowed = $this->clients->client()->decide([
      'decide' => 'import_write',
      'provenance' => LinkRecord::PROVENANCE_APPROVED,
      'deprovision_matched' => $this->clients->settings()->deprovisionMatched(),
      'account' => self::accountFacts($account, $link),
      'values' => (object) $match->values,
    ]);
    $plan = $this->writer->plan($account, is_array($allowed['write'] ?? NULL) ? $allowed['write'] : []);
    $changed = $plan['write'] === [] ? [] : $this->guard->suppress(fn (): array => $this->accounts->update($match->uid, $plan['write']));
    $this->logger->notice('Entra ID match approved: uid @uid linked to %upn (object @entra_id); changed: @changed.', $this->context($match->uid, (string) $account['name'], $match->entraName(), $match->entraId) + [
      '@changed' => $changed === [] ? 'nothing' : implode(', ', $changed),
    ]);
    foreach ($plan['conflicts'] as $conflict) {
      $this->logger->warning('Entra ID match approval of uid @uid: @conflict', ['@uid' => $match->uid, '@conflict' => $conflict]);
    }

    return new Outcome(Outcome::DONE, sprintf('Linked uid %d to the Entra ID account %s (approved)%s.', $match->uid, $match->entraName(), $changed === [] ? '' : '; changed ' . implode(', ', $changed)));
  }

  /**
   * The library's refusal of a pair even an admin may not link (uid 1 by
   * the import, an Entra user or account already linked elsewhere), or
   * null. Asked under the review policy: an approval is the review.
   *
   * @param array<string, mixed> $facts
   */
  private function refusal(string $question, array $facts): ?Outcome {
    $decision = $this->clients->client()->decide(['decide' => $question, 'policy' => ModuleSettings::MATCH_REVIEW] + $facts);
    if (($decision['outcome'] ?? 'refuse') !== 'refuse') {
      return NULL;
    }

    return new Outcome(Outcome::FAILED, 'This match cannot be approved: ' . implode('; ', self::reasons($decision)) . '.');
  }

  /**
   * @param array<string, mixed> $existing
   * @param array<string, mixed> $values
   * @param list<string> $reasons
   */
  private function propose(string $direction, int $uid, string $name, array $existing, array $values, array $reasons): Outcome {
    $now = $this->clock->getCurrentTime();
    $entraId = (string) $existing['id'];
    [$match, $new] = $this->matches->propose(PendingMatch::propose($direction, $uid, $entraId, $existing, $values, $reasons, PendingMatch::STATUS_PENDING, $now));
    $who = self::entraName($existing);
    if ($match->status === PendingMatch::STATUS_REJECTED) {
      $message = sprintf('An admin rejected linking Drupal user %s to the existing Entra ID account %s; it is not provisioned. Rename the account to give it another userPrincipalName.', $name, $who);
      $this->links->save(LinkRecord::failedAttempt($this->links->load($uid), $uid, QueueItem::OP_PROVISION, LinkRecord::RESULT_FAILED, self::CODE_REJECTED, $message, NULL, $now));

      return new Outcome(Outcome::FAILED, $message, NULL, self::error(self::CODE_REJECTED, $message));
    }
    $message = sprintf('Drupal user %s matches the existing Entra ID account %s (%s) on %s. Nothing was linked or sent to it: an admin approves or rejects the match under Pending matches.', $name, $who, (string) ($existing['displayName'] ?? '-'), (string) ($existing['matched_on'] ?? 'userPrincipalName'));
    $this->links->save(LinkRecord::failedAttempt($this->links->load($uid), $uid, QueueItem::OP_PROVISION, LinkRecord::RESULT_REVIEW, self::CODE_PENDING, $message, NULL, $now));
    if ($new) {
      $this->logger->warning('Entra ID provisioning of %name (uid @uid): match pending with the existing account %upn (object @entra_id); nothing was linked or sent to it. @reasons', $this->context($uid, $name, $who, $entraId) + ['@reasons' => implode('; ', $reasons)]);
    }

    return new Outcome(Outcome::REVIEW, $message, ['action' => 'match_pending', 'match_id' => $match->id, 'existing' => $existing]);
  }

  /**
   * @param array<string, mixed> $existing
   * @param list<string> $reasons
   */
  private function refuse(string $direction, int $uid, string $name, array $existing, array $reasons): Outcome {
    $now = $this->clock->getCurrentTime();
    $who = self::entraName($existing);
    [, $new] = $this->matches->propose(PendingMatch::propose($direction, $uid, (string) $existing['id'], $existing, [], $reasons, PendingMatch::STATUS_REFUSED, $now));
    $message = sprintf('Drupal user %s cannot be provisioned: its userPrincipalName or mail is held by the Entra ID account %s, which is never linked to it (%s). Rename the Drupal account.', $name, $who, implode('; ', $reasons));
    $this->links->save(LinkRecord::failedAttempt($this->links->load($uid), $uid, QueueItem::OP_PROVISION, LinkRecord::RESULT_FAILED, self::CODE_REFUSED, $message, NULL, $now));
    if ($new) {
      $this->logger->error('Entra ID provisioning of %name (uid @uid) refused: @message', $this->context($uid, $name, $who, (string) $existing['id']) + ['@message' => $message]);
    }

    return new Outcome(Outcome::FAILED, $message, NULL, self::error(self::CODE_REFUSED, $message));
  }

  /**
   * @param array<string, mixed> $result
   *   entra_link_user's result.
   */
  private function recordLink(int $uid, string $action, array $result, string $provenance): void {
    $entraId = is_string($result['id'] ?? NULL) ? $result['id'] : NULL;
    $upn = is_string($result['userPrincipalName'] ?? NULL) ? $result['userPrincipalName'] : NULL;
    $requestId = is_string($result['request_id'] ?? NULL) ? $result['request_id'] : NULL;
    $this->links->save(LinkRecord::succeeded($this->links->load($uid), $uid, $action, $entraId, $upn, $requestId, $this->clock->getCurrentTime(), $provenance));
    if ($entraId !== NULL) {
      $this->matches->deleteForLink($uid, $entraId);
    }
  }

  /**
   * @param array<string, mixed> $decision
   *
   * @return list<string>
   */
  private static function reasons(array $decision): array {
    return self::stringList($decision['reasons'] ?? []);
  }

  /**
   * @param mixed $value
   *
   * @return list<string>
   */
  private static function stringList($value): array {
    return is_array($value) ? array_values(array_filter($value, 'is_string')) : [];
  }

  /**
   * @param array<string, mixed> $entraUser
   */
  private static function entraName(array $entraUser): string {
    $upn = $entraUser['userPrincipalName'] ?? NULL;

    return is_string($upn) && $upn !== '' ? $upn : (string) ($entraUser['id'] ?? '?');
  }

  /**
   * An error in the ResultFormatter::describeError() shape.
   *
   * @return array<string, mixed>
   */
  private static function error(string $code, string $message): array {
    return [
      'kind' => 'conflict', 'title' => 'Existing Entra ID account', 'message' => $message, 'code' => $code, 'aadsts' => NULL, 'graph_code' => NULL,
      'http_status' => NULL, 'request_id' => NULL, 'field' => 'userPrincipalName', 'fix' => NULL, 'retryable' => FALSE, 'retry_after' => NULL, 'scope' => 'user',
    ];
  }

  /**
   * @return array<string, mixed>
   */
  private function context(int $uid, string $name, string $upn, string $entraId): array {
    return [
      '@uid' => $uid, '%name' => $name, '%upn' => $upn, '@entra_id' => $entraId,
      'entra_uid' => $uid, 'entra_username' => $name, 'entra_upn' => $upn,
    ];
  }

}
