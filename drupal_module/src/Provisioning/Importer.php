<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

use Psr\Log\LoggerInterface;

/**
 * Entra ID -> Drupal: follows the users delta query and applies each change
 * to the Drupal accounts.
 *
 * Links: next_link is stored in State after each call (a run that stops
 * midway continues from there), delta_link when the round is complete (the
 * next run asks only for what changed since); an expired link
 * (resync_required) clears both and starts a full round.
 *
 * Matching an Entra user to a Drupal account: the link record (Entra object
 * id) first, then the e-mail address. An unlinked account that merely has
 * the same username is never taken over: that is a conflict, logged and
 * counted. Otherwise a new account is created (no password) and linked, so
 * the Drupal -> Entra direction never pushes it back as new. Every account
 * write runs inside EchoGuard::suppress(), so the user hooks queue nothing.
 *
 * A delta page carries only what Graph sent: only those keys are written.
 */
final class Importer
{
    public const STATE_NEXT_LINK = 'entra_provisioning.import.next_link';
    public const STATE_DELTA_LINK = 'entra_provisioning.import.delta_link';
    public const STATE_LAST_RUN = 'entra_provisioning.import.last_run';
    public const STATE_LAST_DELTA_SYNC = 'entra_provisioning.import.last_delta_sync';

    public const LOCK_NAME = 'entra_provisioning:import';

    /**
     * Lock lifetime of a run without a time budget (Drush).
     */
    public const LOCK_SECONDS = 3600;

    /**
     * Time budget of the import on cron.
     */
    public const CRON_BUDGET = 30.0;

    private ClientFactory $clients;

    private LinkStoreInterface $links;

    private AccountStoreInterface $accounts;

    private StateStoreInterface $state;

    private EchoGuard $guard;

    private UserLockInterface $lock;

    private ClockInterface $clock;

    private ResultFormatter $formatter;

    private LoggerInterface $logger;

    public function __construct(
        ClientFactory $clients,
        LinkStoreInterface $links,
        AccountStoreInterface $accounts,
        StateStoreInterface $state,
        EchoGuard $guard,
        UserLockInterface $lock,
        ClockInterface $clock,
        ResultFormatter $formatter,
        LoggerInterface $logger
    ) {
        $this->clients = $clients;
        $this->links = $links;
        $this->accounts = $accounts;
        $this->state = $state;
        $this->guard = $guard;
        $this->lock = $lock;
        $this->clock = $clock;
        $this->formatter = $formatter;
        $this->logger = $logger;
    }

    /**
     * Whether cron should import now: the direction is on, an interval is
     * set and it has passed since the last run (successful or not).
     */
    public function isDue(): bool
    {
        $settings = $this->clients->settings();
        $interval = $settings->importInterval();
        if (!$settings->entraToDrupal() || $interval <= 0) {
            return false;
        }
        $last = $this->lastRun();

        return $last === null || $this->clock->now() - (int) ($last['time'] ?? 0) >= $interval;
    }

    /**
     * hook_cron: imports when due, within a time budget; the next cron run
     * continues a round that did not finish.
     */
    public function cron(float $budgetSeconds = self::CRON_BUDGET): ?ImportReport
    {
        if (!$this->isDue()) {
            return null;
        }
        // Without FFI in this PHP (web cron), leave it to cron on the CLI.
        if (($this->clients->environment()['mode'] ?? 'none') === 'none') {
            return null;
        }

        return $this->run(false, false, $budgetSeconds);
    }

    /**
     * One import run.
     *
     * @param bool $full
     *   Forget the stored links and read every user again.
     * @param bool $dryRun
     *   Read from Graph, decide, but write nothing (no account, link or State).
     * @param float|null $budgetSeconds
     *   Stop after this long (between library calls); null = until done.
     * @param callable(ImportReport): void|null $onCall
     *   Called after each library call (progress output).
     */
    public function run(bool $full = false, bool $dryRun = false, ?float $budgetSeconds = null, ?callable $onCall = null): ImportReport
    {
        $report = new ImportReport($full, $dryRun);
        $settings = $this->clients->settings();
        if (!$settings->entraToDrupal()) {
            $report->error = self::error('config', 'Import is off', 'Entra ID to Drupal is not enabled.', 'Tick "Entra ID → Drupal" on step 2 (Direction) and save.');

            return $report;
        }
        $lockSeconds = $budgetSeconds !== null ? $budgetSeconds + 60.0 : (float) self::LOCK_SECONDS;
        if (!$this->lock->acquire(self::LOCK_NAME, $lockSeconds)) {
            $report->error = self::error('locked', 'Import already running', 'Another import is running.', 'Wait for it to finish.');

            return $report;
        }
        try {
            $this->loop($report, $settings, $full, $dryRun, $budgetSeconds, $onCall);
        } finally {
            $this->lock->release(self::LOCK_NAME);
        }
        $report->error = $report->error !== null ? $this->clients->redact($report->error) : null;
        if (!$dryRun) {
            $this->state->set(self::STATE_LAST_RUN, $report->toState($this->clock->now()));
        }
        $context = ['@summary' => $report->summary()];
        if ($report->error !== null) {
            $this->logger->error('Entra ID import stopped: @error @summary', $context + ['@error' => $this->formatter->summary($report->error)]);
        } elseif ($report->counts[ImportReport::FAILED] > 0 || $report->counts[ImportReport::CONFLICT] > 0) {
            $this->logger->warning('Entra ID import: @summary', $context);
        } else {
            $this->logger->info('Entra ID import: @summary', $context);
        }

        return $report;
    }

    /**
     * The last run as kept in State (see ImportReport::toState()), or null.
     *
     * @return array<string, mixed>|null
     */
    public function lastRun(): ?array
    {
        $value = $this->state->get(self::STATE_LAST_RUN);

        return is_array($value) ? $value : null;
    }

    /**
     * Unix time of the last complete round (delta link received), or null.
     */
    public function lastDeltaSync(): ?int
    {
        $value = $this->state->get(self::STATE_LAST_DELTA_SYNC);

        return is_int($value) ? $value : null;
    }

    private function loop(ImportReport $report, ModuleSettings $settings, bool $full, bool $dryRun, ?float $budgetSeconds, ?callable $onCall): void
    {
        if ($full && !$dryRun) {
            $this->forgetLinks();
        }
        $link = $full ? null : $this->storedLink();
        $deadline = $budgetSeconds !== null ? $this->clock->microtime() + $budgetSeconds : null;
        while (true) {
            if ($deadline !== null && $report->calls > 0 && $this->clock->microtime() >= $deadline) {
                return;
            }
            $request = [
                'link' => $link,
                'max_pages' => $settings->importPagesPerCall(),
                'include_guests' => $settings->importIncludeGuests(),
            ];
            try {
                $page = $this->clients->client()->importDelta($request);
            } catch (\Throwable $e) {
                $report->error = $this->formatter->describeError($e);

                return;
            }
            $report->calls++;
            if (!empty($page['resync_required'])) {
                if ($link === null || $report->resyncs > 0) {
                    $report->error = self::error('graph', 'Resync loop', 'Microsoft Graph asked for a full resync of a round that had just started.', 'Run "drush entra:import --full" later; report this if it persists.');

                    return;
                }
                $report->resyncs++;
                $this->logger->warning('The stored Entra ID delta link expired (older than 7 days, or reset by Microsoft): reading every user again.');
                if (!$dryRun) {
                    $this->forgetLinks();
                }
                $link = null;
                continue;
            }
            $report->skippedGuests += (int) ($page['skipped_guests'] ?? 0);
            $changes = is_array($page['changes'] ?? null) ? $page['changes'] : [];
            $this->guard->suppress(function () use ($changes, $report, $settings, $dryRun): void {
                foreach ($changes as $change) {
                    $this->applyChange(is_array($change) ? $change : [], $report, $settings, $dryRun);
                }
            });
            if ($onCall !== null) {
                $onCall($report);
            }
            $next = isset($page['next_link']) && is_string($page['next_link']) && $page['next_link'] !== '' ? $page['next_link'] : null;
            $delta = isset($page['delta_link']) && is_string($page['delta_link']) && $page['delta_link'] !== '' ? $page['delta_link'] : null;
            if ($next !== null) {
                // Changes of this page are applied before the link that
                // follows them is stored: a crash repeats them (idempotent).
                $link = $next;
                if (!$dryRun) {
                    $this->state->set(self::STATE_NEXT_LINK, $next);
                }
                continue;
            }
            if ($delta !== null) {
                $report->completed = true;
                if (!$dryRun) {
                    $this->state->set(self::STATE_DELTA_LINK, $delta);
                    $this->state->delete(self::STATE_NEXT_LINK);
                    $this->state->set(self::STATE_LAST_DELTA_SYNC, $this->clock->now());
                }
            }

            return;
        }
    }

    private function storedLink(): ?string
    {
        foreach ([self::STATE_NEXT_LINK, self::STATE_DELTA_LINK] as $key) {
            $value = $this->state->get($key);
            if (is_string($value) && $value !== '') {
                return $value;
            }
        }

        return null;
    }

    private function forgetLinks(): void
    {
        $this->state->delete(self::STATE_NEXT_LINK);
        $this->state->delete(self::STATE_DELTA_LINK);
    }

    /**
     * @param array<string, mixed> $change
     */
    private function applyChange(array $change, ImportReport $report, ModuleSettings $settings, bool $dryRun): void
    {
        $id = is_string($change['id'] ?? null) ? $change['id'] : '';
        $upn = is_string($change['userPrincipalName'] ?? null) ? $change['userPrincipalName'] : '';
        if ($id === '') {
            $report->add(ImportReport::SKIPPED, '', $upn, null, 'A change without an object id.');

            return;
        }
        try {
            if (($change['op'] ?? '') === 'removed') {
                $this->applyRemoved($id, (string) ($change['reason'] ?? 'changed'), $report, $settings, $dryRun);
            } else {
                $values = is_array($change['drupal'] ?? null) ? $change['drupal'] : [];
                $this->applyUpsert($id, $upn, $values, $report, $settings, $dryRun);
            }
        } catch (\Throwable $e) {
            $message = $this->clients->redact($e->getMessage());
            $report->add(ImportReport::FAILED, $id, $upn, null, $message);
            $this->logger->error('Entra ID import of %upn (object @entra_id) failed: @error', ['%upn' => $upn, '@entra_id' => $id, '@error' => $message, 'entra_upn' => $upn]);
        }
    }

    /**
     * @param array<string, mixed> $values
     */
    private function applyUpsert(string $id, string $upn, array $values, ImportReport $report, ModuleSettings $settings, bool $dryRun): void
    {
        $link = $this->links->loadByEntraId($id);
        if ($link !== null) {
            $account = $this->accounts->load($link->uid);
            if ($account !== null) {
                $this->updateAccount($account, $link, $id, $upn, $values, ImportReport::UPDATED, $report, $dryRun);

                return;
            }
            // The linked account was deleted in Drupal: match afresh.
            if (!$dryRun) {
                $this->links->delete($link->uid);
            }
        }

        $mail = isset($values['mail']) && is_string($values['mail']) && $values['mail'] !== '' ? $values['mail'] : null;
        if ($mail !== null) {
            $uids = $this->accounts->findByMail($mail);
            if (count($uids) > 1) {
                $this->conflict($report, $id, $upn, null, sprintf('%d Drupal accounts use the e-mail address %s; none was linked.', count($uids), $mail));

                return;
            }
            if (count($uids) === 1) {
                $uid = $uids[0];
                $other = $this->links->load($uid);
                if ($other !== null && $other->isLinked() && $other->entraId !== $id) {
                    $this->conflict($report, $id, $upn, $uid, sprintf('The Drupal account with the e-mail address %s (uid %d) is linked to another Entra ID user (%s).', $mail, $uid, (string) $other->entraId));

                    return;
                }
                $account = $this->accounts->load($uid);
                if ($account !== null) {
                    $this->updateAccount($account, $other, $id, $upn, $values, ImportReport::LINKED, $report, $dryRun);

                    return;
                }
            }
        }

        $name = isset($values['name']) && is_string($values['name']) && $values['name'] !== '' ? $values['name'] : null;
        if ($name !== null) {
            $owners = $this->accounts->findByName($name);
            if ($owners !== []) {
                $this->conflict($report, $id, $upn, $owners[0], sprintf('The Drupal account "%s" (uid %d) has the same username but is not linked to this Entra ID user and has another e-mail address: it is not taken over. Link it by giving it the same e-mail address, or rename one of them.', $name, $owners[0]));

                return;
            }
        }
        if (!$settings->importCreateAccounts()) {
            $report->add(ImportReport::SKIPPED, $id, $upn, null, 'No matching Drupal account, and creating accounts is off.');

            return;
        }
        if ($name === null) {
            // A delta page lists only changed properties: this user's name is
            // not among them, and it was never imported.
            $report->add(ImportReport::SKIPPED, $id, $upn, null, 'Not enough data to create an account (no userPrincipalName in this change); "drush entra:import --full" reads it completely.');

            return;
        }
        $create = ['name' => $name, 'mail' => $mail ?? '', 'status' => isset($values['status']) ? (empty($values['status']) ? 0 : 1) : 1];
        if (isset($values['fields']) && is_array($values['fields']) && $values['fields'] !== []) {
            $create['fields'] = $values['fields'];
        }
        if ($dryRun) {
            $report->add(ImportReport::CREATED, $id, $upn, null, sprintf('Would create the account "%s".', $name));

            return;
        }
        $uid = $this->accounts->create($create);
        $this->links->save(LinkRecord::succeeded(null, $uid, 'imported', $id, $upn !== '' ? $upn : null, null, $this->clock->now()));
        $report->add(ImportReport::CREATED, $id, $upn, $uid, sprintf('Created the account "%s".', $name));
        $this->logger->info('Entra ID import: created %name (uid @uid) for %upn (object @entra_id).', ['%name' => $name, '@uid' => $uid, '%upn' => $upn, '@entra_id' => $id, 'entra_uid' => $uid, 'entra_username' => $name, 'entra_upn' => $upn]);
    }

    /**
     * Writes the present values to a matched account and links it.
     *
     * @param array{uid: int, name: string, mail: string, status: int} $account
     * @param array<string, mixed> $values
     */
    private function updateAccount(array $account, ?LinkRecord $link, string $id, string $upn, array $values, string $matchedAs, ImportReport $report, bool $dryRun): void
    {
        $uid = $account['uid'];
        $write = [];
        if (isset($values['name']) && is_string($values['name']) && $values['name'] !== '' && strcasecmp($values['name'], $account['name']) !== 0) {
            $owners = array_values(array_diff($this->accounts->findByName($values['name']), [$uid]));
            if ($owners !== []) {
                $this->conflict($report, $id, $upn, $uid, sprintf('Username "%s" is taken by uid %d; the username of uid %d is left as "%s".', $values['name'], $owners[0], $uid, $account['name']));
            } else {
                $write['name'] = $values['name'];
            }
        } elseif (isset($values['name']) && is_string($values['name']) && $values['name'] !== $account['name'] && $values['name'] !== '') {
            // Only the case differs.
            $write['name'] = $values['name'];
        }
        // An Entra user without mail never blanks the Drupal address (Drupal
        // needs it for password resets and notifications).
        if (isset($values['mail']) && is_string($values['mail']) && $values['mail'] !== '' && strcasecmp($values['mail'], $account['mail']) !== 0) {
            $owners = array_values(array_diff($this->accounts->findByMail($values['mail']), [$uid]));
            if ($owners !== []) {
                $this->conflict($report, $id, $upn, $uid, sprintf('E-mail address %s is used by uid %d; the address of uid %d is left unchanged.', $values['mail'], $owners[0], $uid));
            } else {
                $write['mail'] = $values['mail'];
            }
        }
        if (array_key_exists('status', $values) && $values['status'] !== null) {
            $write['status'] = empty($values['status']) ? 0 : 1;
        }
        if (isset($values['fields']) && is_array($values['fields']) && $values['fields'] !== []) {
            $write['fields'] = $values['fields'];
        }

        if ($dryRun) {
            $differs = array_keys(array_filter([
                'name' => isset($write['name']),
                'mail' => isset($write['mail']),
                'status' => isset($write['status']) && $write['status'] !== (int) $account['status'],
                'fields' => isset($write['fields']),
            ]));
            $result = $matchedAs === ImportReport::LINKED ? ImportReport::LINKED : ($differs === [] ? ImportReport::UNCHANGED : ImportReport::UPDATED);
            $report->add($result, $id, $upn, $uid, $differs === [] ? 'Nothing to write.' : 'Would write: ' . implode(', ', $differs) . '.');

            return;
        }
        $changed = $write === [] ? [] : $this->accounts->update($uid, $write);
        $this->links->save(LinkRecord::succeeded($link, $uid, 'imported', $id, $upn !== '' ? $upn : null, null, $this->clock->now()));
        $result = $matchedAs === ImportReport::LINKED ? ImportReport::LINKED : ($changed === [] ? ImportReport::UNCHANGED : ImportReport::UPDATED);
        $report->add($result, $id, $upn, $uid, $changed === [] ? 'Nothing changed.' : 'Changed: ' . implode(', ', $changed) . '.');
        if ($result !== ImportReport::UNCHANGED) {
            $this->logger->info('Entra ID import: @result uid @uid with %upn (object @entra_id)@changed.', [
                '@result' => $result,
                '@uid' => $uid,
                '%upn' => $upn,
                '@entra_id' => $id,
                '@changed' => $changed === [] ? '' : ', changed ' . implode(', ', $changed),
                'entra_uid' => $uid,
                'entra_upn' => $upn,
            ]);
        }
    }

    private function applyRemoved(string $id, string $reason, ImportReport $report, ModuleSettings $settings, bool $dryRun): void
    {
        $link = $this->links->loadByEntraId($id);
        if ($link === null) {
            $report->add(ImportReport::SKIPPED, $id, '', null, 'Removed in Entra ID, not linked to a Drupal account.');

            return;
        }
        $uid = $link->uid;
        $upn = (string) $link->upn;
        if ($this->accounts->load($uid) === null) {
            if (!$dryRun) {
                $this->links->delete($uid);
            }
            $report->add(ImportReport::SKIPPED, $id, $upn, $uid, 'Removed in Entra ID; the Drupal account no longer exists.');

            return;
        }
        $policy = $settings->importRemovedPolicy();
        $how = $reason === 'deleted' ? 'deleted permanently' : 'deleted (restorable for 30 days)';
        if ($policy === ModuleSettings::REMOVED_NONE) {
            $report->add(ImportReport::SKIPPED, $id, $upn, $uid, sprintf('%s in Entra ID; the policy leaves the Drupal account as it is.', ucfirst($how)));

            return;
        }
        // "delete" deletes the Drupal account once Entra deleted the user for
        // good; a soft delete (still restorable) only blocks it.
        if ($policy === ModuleSettings::REMOVED_DELETE && $reason === 'deleted') {
            if ($dryRun) {
                $report->add(ImportReport::DELETED, $id, $upn, $uid, 'Would delete the Drupal account.');

                return;
            }
            $this->accounts->delete($uid);
            $this->links->delete($uid);
            $report->add(ImportReport::DELETED, $id, $upn, $uid, sprintf('%s in Entra ID: Drupal account deleted.', ucfirst($how)));
            $this->logger->notice('Entra ID import: deleted uid @uid, whose Entra ID user %upn was @how.', ['@uid' => $uid, '%upn' => $upn, '@how' => $how, 'entra_uid' => $uid, 'entra_upn' => $upn]);

            return;
        }
        if ($dryRun) {
            $report->add(ImportReport::BLOCKED, $id, $upn, $uid, 'Would block the Drupal account.');

            return;
        }
        $wasActive = $this->accounts->block($uid);
        // The link stays: a user restored in Entra ID matches again and its
        // accountEnabled unblocks the account.
        $this->links->save(LinkRecord::succeeded($link, $uid, 'removed_in_entra', $id, null, null, $this->clock->now()));
        $report->add($wasActive ? ImportReport::BLOCKED : ImportReport::UNCHANGED, $id, $upn, $uid, sprintf('%s in Entra ID: Drupal account %s.', ucfirst($how), $wasActive ? 'blocked' : 'already blocked'));
        if ($wasActive) {
            $this->logger->notice('Entra ID import: blocked uid @uid, whose Entra ID user %upn was @how.', ['@uid' => $uid, '%upn' => $upn, '@how' => $how, 'entra_uid' => $uid, 'entra_upn' => $upn]);
        }
    }

    private function conflict(ImportReport $report, string $id, string $upn, ?int $uid, string $detail): void
    {
        $report->add(ImportReport::CONFLICT, $id, $upn, $uid, $detail);
        $this->logger->warning('Entra ID import conflict for %upn (object @entra_id): @detail', ['%upn' => $upn, '@entra_id' => $id, '@detail' => $detail, 'entra_upn' => $upn]);
    }

    /**
     * An error in the ResultFormatter::describeError() shape.
     *
     * @return array<string, mixed>
     */
    private static function error(string $kind, string $title, string $message, string $fix): array
    {
        return [
            'kind' => $kind, 'title' => $title, 'message' => $message, 'code' => null, 'aadsts' => null, 'graph_code' => null,
            'http_status' => null, 'request_id' => null, 'field' => null, 'fix' => $fix, 'retryable' => false, 'retry_after' => null,
        ];
    }
}
