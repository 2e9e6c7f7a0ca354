<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Drush\Commands;

use Drupal\entra_provisioning\Native\Exception\EntraException;
use Drupal\entra_provisioning\Provisioning\BulkScope;
use Drupal\entra_provisioning\Provisioning\BulkSummary;
use Drupal\entra_provisioning\Provisioning\BulkSync;
use Drupal\entra_provisioning\Provisioning\CommandSupport;
use Drupal\entra_provisioning\Provisioning\GroupOverview;
use Drupal\entra_provisioning\Provisioning\IdentityMatcher;
use Drupal\entra_provisioning\Provisioning\Importer;
use Drupal\entra_provisioning\Provisioning\ImportReport;
use Drupal\entra_provisioning\Provisioning\ModuleSettings;
use Drupal\entra_provisioning\Provisioning\Outcome;
use Drupal\entra_provisioning\Provisioning\Provisioner;
use Drupal\entra_provisioning\Provisioning\ProvisioningQueueInterface;
use Drupal\entra_provisioning\Provisioning\RemovalGuard;
use Drupal\entra_provisioning\Provisioning\RemovalRelease;
use Drupal\entra_provisioning\Provisioning\RequirementsEvaluator;
use Drupal\entra_provisioning\Provisioning\ResultFormatter;
use Drush\Attributes as CLI;
use Drush\Commands\AutowireTrait;
use Drush\Commands\DrushCommands;

/**
 * Drush 12.5+ / 13 commands of entra_provisioning.
 *
 * Discovered by Drush from this PSR-4 location (no drush.services.yml);
 * AutowireTrait injects the module's services by their class names, which
 * entra_provisioning.services.yml aliases. The commands only translate
 * arguments into calls on the Drupal-free services and print the results:
 * which users, the chunks, the summaries and the exit codes are decided by
 * BulkSync, BulkSummary, Importer, ImportReport and CommandSupport.
 */
final class EntraCommands extends DrushCommands {

  use AutowireTrait;

  public function __construct(
    private Provisioner $provisioner,
    private BulkSync $bulkSync,
    private Importer $importer,
    private RequirementsEvaluator $requirements,
    private ResultFormatter $formatter,
    private IdentityMatcher $matcher,
    private RemovalGuard $removals,
    private RemovalRelease $release,
    private GroupOverview $groups
  ) {
    parent::__construct();
  }

  /**
   * Tests the connection to Entra ID: gets a token and reads one user.
   */
  #[CLI\Command(name: 'entra:test', aliases: ['entra-test'])]
  #[CLI\Argument(name: 'upn', description: 'UPN or object id of an existing Entra ID user (default: the Test UPN/ID of step 1).')]
  #[CLI\Usage(name: 'drush entra:test', description: 'Reads the test user of step 1 and prints the attributes received, or the cause of the failure.')]
  #[CLI\Usage(name: 'drush entra:test adele@contoso.onmicrosoft.com', description: 'Reads this user instead.')]
  public function test(string $upn = ''): int {
    $record = $this->provisioner->testConnection($upn !== '' ? $upn : NULL);
    if (empty($record['ok'])) {
      $error = is_array($record['error'] ?? NULL) ? $record['error'] : [];
      $this->io()->error($this->formatter->summary($error));
      $this->io()->table(['Detail', 'Value'], $this->formatter->errorRows($error));

      return CommandSupport::testExitCode($record);
    }
    $this->io()->table(['Attribute', 'Value'], $this->formatter->attributeRows(is_array($record['attributes'] ?? NULL) ? $record['attributes'] : []));
    $granted = is_array($record['granted_permissions'] ?? NULL) ? implode(', ', $record['granted_permissions']) : 'unknown (the token did not list them)';
    $this->io()->writeln(sprintf('Application permissions granted: %s', $granted !== '' ? $granted : 'none'));
    $missing = is_array($record['missing_permissions'] ?? NULL) ? $record['missing_permissions'] : [];
    if ($missing !== []) {
      $this->io()->error(sprintf(
        'Connected and read %s (request-id %s), but the application lacks %s for the chosen directions (%s): add it in Entra ID > App registrations > API permissions and grant admin consent.',
        (string) $record['upn'],
        (string) ($record['request_id'] ?? '-'),
        implode(', ', $missing),
        implode(', ', is_array($record['directions'] ?? NULL) ? $record['directions'] : [])
      ));
    }
    else {
      $this->io()->success(sprintf('Connected: read %s (request-id %s).', (string) $record['upn'], (string) ($record['request_id'] ?? '-')));
    }

    return CommandSupport::testExitCode($record);
  }

  /**
   * Provisions Drupal accounts into Entra ID (created, linked or updated).
   *
   * $names has no default on purpose: annotated-command reads an array
   * default ([] included) as an options array and makes the parameter a
   * required scalar argument; "array $names" without a default is an
   * optional list argument ([] when no name is given).
   *
   * @param list<string> $names
   * @param array<string, mixed> $options
   */
  #[CLI\Command(name: 'entra:provision', aliases: ['entra-provision'])]
  #[CLI\Argument(name: 'names', description: 'Drupal usernames (space separated).')]
  #[CLI\Option(name: 'all', description: 'Every active Drupal account.')]
  #[CLI\Option(name: 'dry-run', description: 'Print what would be sent (the mapping, password redacted) and send nothing.')]
  #[CLI\Option(name: 'chunk', description: 'Users per bulk request, 1 to 1000 (default: "Users per chunk" on step 3).')]
  #[CLI\Option(name: 'include-uid1', description: 'With --all: include uid 1, the site\'s first administrator (left out by default).')]
  #[CLI\Option(name: 'include-blocked', description: 'With --all: include blocked accounts (left out by default).')]
  #[CLI\Usage(name: 'drush entra:provision jdoe asmith', description: 'Creates the Entra ID accounts of two users (a name already taken in Entra ID becomes a pending match).')]
  #[CLI\Usage(name: 'drush entra:provision --all --chunk=200', description: 'Every active account, 200 per bulk request, with a progress bar and a final table.')]
  #[CLI\Usage(name: 'drush entra:provision jdoe --dry-run', description: 'Shows what would be sent for jdoe.')]
  #[CLI\Usage(name: 'drush entra:provision --all --dry-run', description: 'Shows what would be sent for every active account; sends nothing.')]
  public function provision(array $names, array $options = ['all' => FALSE, 'dry-run' => FALSE, 'chunk' => self::REQ, 'include-uid1' => FALSE, 'include-blocked' => FALSE]): int {
    $all = !empty($options['all']);
    $scope = new BulkScope(!empty($options['include-uid1']), !empty($options['include-blocked']));
    if ($names === [] && !$all || $names !== [] && $all) {
      $this->io()->error('Name one or more Drupal users, or use --all (not both).');

      return CommandSupport::EXIT_FAILURE;
    }
    try {
      $chunk = $this->bulkSync->chunkSize(CommandSupport::chunkOption($options['chunk'] ?? NULL));
    }
    catch (\InvalidArgumentException | EntraException $e) {
      $this->io()->error($e->getMessage());

      return CommandSupport::EXIT_FAILURE;
    }
    $uids = NULL;
    $missing = [];
    if ($names !== []) {
      $resolved = $this->bulkSync->resolveNames($names);
      $uids = $resolved['uids'];
      $missing = $resolved['missing'];
    }

    if (!empty($options['dry-run'])) {
      return $this->dryRun($uids, $missing, $chunk, $scope);
    }
    $refusal = $this->bulkSync->refusal();
    if ($refusal !== NULL) {
      $this->io()->error($refusal);

      return CommandSupport::EXIT_FAILURE;
    }
    $total = $uids !== NULL ? count($uids) : $this->bulkSync->countActive($scope);
    $bar = $this->io()->createProgressBar($total);
    $bar->start();
    $advanced = 0;
    $summary = $this->bulkSync->run($uids, $chunk, function (BulkSummary $soFar, int $done, int $total) use ($bar, &$advanced): void {
      $bar->advance(max(0, $done - $advanced));
      $advanced = $done;
    }, $scope);
    $this->endProgress($bar);
    foreach ($missing as $name) {
      $summary->fail(0, $name, 'No Drupal account has this username.');
    }
    $this->io()->table(['Result', 'Users'], $summary->rows());
    if ($summary->failures !== []) {
      $this->io()->table(['uid', 'Username', 'Cause'], array_map(static fn (array $f): array => [$f['uid'], $f['name'], $f['cause']], $summary->failures));
    }
    if ($summary->aborted !== NULL) {
      $this->io()->error('Stopped early: ' . $summary->aborted);
    }
    elseif ($summary->exitCode() === 0) {
      $this->io()->success($summary->summary());
    }
    if ($summary->membershipChanges > 0) {
      $this->io()->note(sprintf('%d Entra ID group membership change(s) queued for the roles of the accounts created or linked; they run with the queue ("drush queue:run %s").', $summary->membershipChanges, ProvisioningQueueInterface::NAME));
    }
    if ($summary->counts[BulkSummary::REVIEW] > 0) {
      $this->io()->note(sprintf('%d account(s) match an existing Entra ID account: nothing was linked or sent to it. Review them with "drush entra:matches".', $summary->counts[BulkSummary::REVIEW]));
    }

    return $summary->exitCode();
  }

  /**
   * Lists the pending matches (both directions) and the held removals, or
   * approves or rejects one match.
   *
   * @param array<string, mixed> $options
   */
  #[CLI\Command(name: 'entra:matches', aliases: ['entra-matches'])]
  #[CLI\Option(name: 'approve', description: 'Approve the match with this ID: link the two accounts.')]
  #[CLI\Option(name: 'reject', description: 'Reject the match with this ID: they stay unlinked and it is not proposed again.')]
  #[CLI\Usage(name: 'drush entra:matches', description: 'Lists the matches waiting for an admin, and the removals held by the accidental-deletion threshold.')]
  #[CLI\Usage(name: 'drush entra:matches --approve=12', description: 'Links the accounts of match 12.')]
  #[CLI\Usage(name: 'drush entra:matches --reject=12', description: 'Rejects match 12.')]
  public function matches(array $options = ['approve' => self::REQ, 'reject' => self::REQ]): int {
    try {
      $approve = CommandSupport::idOption($options['approve'] ?? NULL, 'approve');
      $reject = CommandSupport::idOption($options['reject'] ?? NULL, 'reject');
    }
    catch (\InvalidArgumentException $e) {
      $this->io()->error($e->getMessage());

      return CommandSupport::EXIT_FAILURE;
    }
    if ($approve !== NULL && $reject !== NULL) {
      $this->io()->error('Give --approve or --reject, not both.');

      return CommandSupport::EXIT_FAILURE;
    }
    if ($approve !== NULL || $reject !== NULL) {
      $outcome = $approve !== NULL ? $this->matcher->approve($approve) : $this->matcher->reject((int) $reject);
      if ($outcome->status === Outcome::DONE) {
        $this->io()->success($outcome->message);

        return CommandSupport::EXIT_SUCCESS;
      }
      $this->io()->error($outcome->message);

      return CommandSupport::EXIT_FAILURE;
    }
    $pending = $this->matcher->pending();
    if ($pending === []) {
      $this->io()->writeln('No match waits for an admin.');
    }
    else {
      $this->io()->table(['ID', 'Found by', 'Drupal uid', 'Entra ID user', 'Display name', 'Mail', 'Matched on', 'Why not linked'], CommandSupport::matchRows($pending));
    }
    $held = $this->removals->countHeld();
    foreach ([ModuleSettings::DIRECTION_ENTRA_TO_DRUPAL => 'Drupal accounts the import would block or delete', ModuleSettings::DIRECTION_DRUPAL_TO_ENTRA => 'Entra ID accounts to disable or delete'] as $direction => $what) {
      if ($held[$direction] > 0) {
        $this->io()->warning(sprintf('%d held removal(s): %s, above the threshold. Check, then run "drush entra:release-removals".', $held[$direction], $what));
      }
    }

    return CommandSupport::EXIT_SUCCESS;
  }

  /**
   * Releases the removals held by the accidental-deletion threshold.
   */
  #[CLI\Command(name: 'entra:release-removals', aliases: ['entra-release-removals'])]
  #[CLI\Usage(name: 'drush entra:release-removals', description: 'Applies the held removals: the import blocks or deletes the Drupal accounts, the queue disables or deletes the Entra ID accounts.')]
  public function releaseRemovals(): int {
    $released = $this->release->releaseAll();
    $imported = $released['imported'];
    $queued = $released['queued'];
    $rows = [];
    foreach ($imported as $result => $n) {
      $rows[] = ['Entra ID → Drupal: ' . $result, $n];
    }
    $rows[] = ['Drupal → Entra ID: queued again', $queued];
    $this->io()->table(['Released', 'Count'], $rows);
    $this->io()->success(sprintf('Released %d held removal(s).', array_sum($imported) + $queued));

    return CommandSupport::EXIT_SUCCESS;
  }

  /**
   * Imports Entra ID users into Drupal (the users delta query).
   *
   * @param array<string, mixed> $options
   */
  #[CLI\Command(name: 'entra:import', aliases: ['entra-import'])]
  #[CLI\Option(name: 'full', description: 'Forget the stored delta link and read every Entra ID user again.')]
  #[CLI\Option(name: 'dry-run', description: 'Read from Microsoft Graph and show what would change in Drupal; write nothing.')]
  #[CLI\Usage(name: 'drush entra:import', description: 'Applies what changed in Entra ID since the last run (the first run reads every user).')]
  #[CLI\Usage(name: 'drush entra:import --full --dry-run', description: 'Shows what a full import would do.')]
  public function import(array $options = ['full' => FALSE, 'dry-run' => FALSE]): int {
    $dryRun = !empty($options['dry-run']);
    // The number of delta pages is unknown: the bar counts them.
    $bar = $this->io()->createProgressBar();
    $bar->start();
    $report = $this->importer->run(!empty($options['full']), $dryRun, NULL, function (ImportReport $report) use ($bar): void {
      $bar->advance();
    });
    $this->endProgress($bar);
    $this->io()->table(['Result', 'Users'], array_map(static fn (string $result, int $n): array => [$result, $n], array_keys($report->counts), array_values($report->counts)));
    $rows = [];
    foreach ($report->rows as $row) {
      if ($dryRun || in_array($row['result'], [ImportReport::CONFLICT, ImportReport::FAILED], TRUE)) {
        $rows[] = [$row['result'], $row['upn'] !== '' ? $row['upn'] : $row['id'], $row['uid'] ?? '-', $row['detail']];
      }
    }
    if ($rows !== []) {
      $this->io()->table(['Result', 'Entra ID user', 'uid', 'Detail'], $rows);
    }
    if ($report->roleChanges !== []) {
      $this->io()->table(['Role change', 'uid', 'Role', 'Group(s)'], array_map(static fn (array $c): array => [
        ($dryRun ? 'would ' : '') . ($c['op'] === 'grant' ? 'grant' : 'revoke'),
        $c['uid'],
        $c['role'],
        implode(', ', $c['groups']),
      ], $report->roleChanges));
    }
    if ($report->error !== NULL) {
      $this->io()->error($this->formatter->summary($report->error));
    }
    elseif ($report->exitCode() === 0) {
      $this->io()->success($report->summary());
    }
    else {
      $this->io()->warning($report->summary());
    }

    return $report->exitCode();
  }

  /**
   * Lists the Entra ID groups the rules and scopes name, with their
   * members.
   */
  #[CLI\Command(name: 'entra:groups', aliases: ['entra-groups'])]
  #[CLI\Usage(name: 'drush entra:groups', description: 'Each mapped group: displayName, what the rules do with it, its members (every object in it, nested groups and their members included; Graph counts from an index that may lag a few seconds) and whether it may receive members.')]
  public function groups(): int {
    try {
      $rows = $this->groups->rows();
    }
    catch (EntraException $e) {
      $this->io()->error($this->formatter->summary($this->formatter->describeError($e)));

      return CommandSupport::EXIT_FAILURE;
    }
    if ($rows === []) {
      $this->io()->writeln('No group is mapped: add rules under "Groups and roles" on step 3.');

      return CommandSupport::EXIT_SUCCESS;
    }
    $this->io()->table(['Group', 'Object id', 'Used for', 'Members (nested groups and their members included)', 'Can receive members'], array_map(static fn (array $r): array => [
      $r['name'],
      $r['id'],
      implode('; ', $r['uses']),
      $r['members'] ?? '?',
      $r['target'],
    ], $rows));

    return CommandSupport::EXIT_SUCCESS;
  }

  /**
   * Configuration, secret source, FFI mode, library/ABI, counts, last sync.
   */
  #[CLI\Command(name: 'entra:status', aliases: ['entra-status'])]
  #[CLI\Usage(name: 'drush entra:status', description: 'The status report lines of the module; exit code 1 when one of them is an error.')]
  public function status(): int {
    $lines = $this->requirements->evaluate();
    $rows = [];
    foreach ($lines as $line) {
      $rows[] = [$line['title'], $line['value'], $line['severity']];
    }
    $delta = $this->importer->lastDeltaSync();
    $rows[] = ['Last delta sync (Entra ID → Drupal)', $delta !== NULL ? gmdate('Y-m-d H:i:s', $delta) . ' UTC' : 'never', 'info'];
    $this->io()->table(['Check', 'Value', 'Severity'], $rows);
    foreach ($lines as $line) {
      if (in_array($line['severity'], [RequirementsEvaluator::WARNING, RequirementsEvaluator::ERROR], TRUE) && $line['description'] !== '') {
        $this->io()->writeln(sprintf('%s: %s', $line['title'], $line['description']));
      }
    }

    return CommandSupport::statusExitCode($lines);
  }

  /**
   * Finishes the progress bar and takes it off the screen before the
   * result tables are printed.
   *
   * The bar is written to stderr (ProgressBar takes the error output of a
   * ConsoleOutput), the tables to stdout. SymfonyStyle::progressFinish()
   * would leave the bar on the screen and print two empty lines on stdout.
   * On a terminal clear() erases the bar's line; without ANSI (output
   * piped) clear() cannot, so the bar's last line is ended instead.
   *
   * @param \Symfony\Component\Console\Helper\ProgressBar $bar
   *   From $this->io()->createProgressBar().
   */
  private function endProgress(object $bar): void {
    $bar->finish();
    $bar->clear();
    $errors = $this->io()->getErrorStyle();
    if (!$errors->isDecorated()) {
      $errors->newLine();
    }
  }

  /**
   * --dry-run of entra:provision: the mapping of each user, nothing sent.
   *
   * @param list<int>|null $uids
   * @param list<string> $missing
   */
  private function dryRun(?array $uids, array $missing, int $chunk, BulkScope $scope): int {
    $failed = count($missing);
    foreach ($missing as $name) {
      $this->io()->writeln(sprintf('%s: no Drupal account has this username.', $name));
    }
    $print = function (array $batch) use (&$failed): void {
      foreach ($this->bulkSync->preview($batch) as $preview) {
        $this->io()->writeln(CommandSupport::previewText($preview, $this->formatter));
        $failed += empty($preview['ok']) ? 1 : 0;
      }
    };
    if ($uids !== NULL) {
      foreach (array_chunk($uids, $chunk) as $batch) {
        $print($batch);
      }
    }
    else {
      $after = 0;
      while (($batch = $this->bulkSync->nextActiveChunk($after, $chunk, $scope)) !== []) {
        $print($batch);
        $after = max($batch);
      }
    }
    $this->io()->note(sprintf('Dry run: nothing was sent to Entra ID. %d user(s) could not be mapped.', $failed));

    return $failed === 0 ? CommandSupport::EXIT_SUCCESS : CommandSupport::EXIT_FAILURE;
  }

}
