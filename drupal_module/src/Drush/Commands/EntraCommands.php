<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Drush\Commands;

use Drupal\entra_provisioning\Provisioning\BulkSummary;
use Drupal\entra_provisioning\Provisioning\BulkSync;
use Drupal\entra_provisioning\Provisioning\CommandSupport;
use Drupal\entra_provisioning\Provisioning\Importer;
use Drupal\entra_provisioning\Provisioning\ImportReport;
use Drupal\entra_provisioning\Provisioning\Provisioner;
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
final class EntraCommands extends DrushCommands
{
    use AutowireTrait;

    private Provisioner $provisioner;

    private BulkSync $bulkSync;

    private Importer $importer;

    private RequirementsEvaluator $requirements;

    private ResultFormatter $formatter;

    public function __construct(Provisioner $provisioner, BulkSync $bulkSync, Importer $importer, RequirementsEvaluator $requirements, ResultFormatter $formatter)
    {
        parent::__construct();
        $this->provisioner = $provisioner;
        $this->bulkSync = $bulkSync;
        $this->importer = $importer;
        $this->requirements = $requirements;
        $this->formatter = $formatter;
    }

    /**
     * Tests the connection to Entra ID: gets a token and reads one user.
     */
    #[CLI\Command(name: 'entra:test', aliases: ['entra-test'])]
    #[CLI\Argument(name: 'upn', description: 'UPN or object id of an existing Entra ID user (default: the Test UPN/ID of step 1).')]
    #[CLI\Usage(name: 'drush entra:test', description: 'Reads the test user of step 1 and prints the attributes received, or the cause of the failure.')]
    #[CLI\Usage(name: 'drush entra:test adele@contoso.onmicrosoft.com', description: 'Reads this user instead.')]
    public function test(string $upn = ''): int
    {
        $record = $this->provisioner->testConnection($upn !== '' ? $upn : null);
        if (empty($record['ok'])) {
            $error = is_array($record['error'] ?? null) ? $record['error'] : [];
            $this->io()->error($this->formatter->summary($error));
            $this->io()->table(['Detail', 'Value'], $this->formatter->errorRows($error));

            return CommandSupport::testExitCode($record);
        }
        $this->io()->table(['Attribute', 'Value'], $this->formatter->attributeRows(is_array($record['attributes'] ?? null) ? $record['attributes'] : []));
        $granted = is_array($record['granted_permissions'] ?? null) ? implode(', ', $record['granted_permissions']) : 'unknown (the token did not list them)';
        $this->io()->writeln(sprintf('Application permissions granted: %s', $granted !== '' ? $granted : 'none'));
        $missing = is_array($record['missing_permissions'] ?? null) ? $record['missing_permissions'] : [];
        if ($missing !== []) {
            $this->io()->error(sprintf(
                'Connected and read %s (request-id %s), but the application lacks %s for the chosen directions (%s): add it in Entra ID > App registrations > API permissions and grant admin consent.',
                (string) $record['upn'],
                (string) ($record['request_id'] ?? '-'),
                implode(', ', $missing),
                implode(', ', is_array($record['directions'] ?? null) ? $record['directions'] : [])
            ));
        } else {
            $this->io()->success(sprintf('Connected: read %s (request-id %s).', (string) $record['upn'], (string) ($record['request_id'] ?? '-')));
        }

        return CommandSupport::testExitCode($record);
    }

    /**
     * Provisions Drupal accounts into Entra ID (created, linked or updated).
     *
     * @param list<string> $names
     * @param array<string, mixed> $options
     */
    #[CLI\Command(name: 'entra:provision', aliases: ['entra-provision'])]
    #[CLI\Argument(name: 'names', description: 'Drupal usernames (space separated).')]
    #[CLI\Option(name: 'all', description: 'Every active Drupal account.')]
    #[CLI\Option(name: 'dry-run', description: 'Print what would be sent (the mapping, password redacted) and send nothing.')]
    #[CLI\Option(name: 'chunk', description: 'Users per bulk request, 1 to 1000 (default: "Users per chunk" on step 3).')]
    #[CLI\Usage(name: 'drush entra:provision jdoe asmith', description: 'Creates or links the Entra ID accounts of two users.')]
    #[CLI\Usage(name: 'drush entra:provision --all --chunk=200', description: 'Every active account, 200 per bulk request, with a progress bar and a final table.')]
    #[CLI\Usage(name: 'drush entra:provision jdoe --dry-run', description: 'Shows what would be sent for jdoe.')]
    public function provision(array $names = [], array $options = ['all' => false, 'dry-run' => false, 'chunk' => self::REQ]): int
    {
        $all = !empty($options['all']);
        if ($names === [] && !$all || $names !== [] && $all) {
            $this->io()->error('Name one or more Drupal users, or use --all (not both).');

            return CommandSupport::EXIT_FAILURE;
        }
        try {
            $chunk = $this->bulkSync->chunkSize(CommandSupport::chunkOption($options['chunk'] ?? null));
        } catch (\InvalidArgumentException $e) {
            $this->io()->error($e->getMessage());

            return CommandSupport::EXIT_FAILURE;
        }
        $uids = null;
        $missing = [];
        if ($names !== []) {
            $resolved = $this->bulkSync->resolveNames($names);
            $uids = $resolved['uids'];
            $missing = $resolved['missing'];
        }

        if (!empty($options['dry-run'])) {
            return $this->dryRun($uids, $missing, $chunk);
        }
        $refusal = $this->bulkSync->refusal();
        if ($refusal !== null) {
            $this->io()->error($refusal);

            return CommandSupport::EXIT_FAILURE;
        }
        $total = $uids !== null ? count($uids) : $this->bulkSync->countActive();
        $this->io()->progressStart($total);
        $advanced = 0;
        $summary = $this->bulkSync->run($uids, $chunk, function (BulkSummary $soFar, int $done, int $total) use (&$advanced): void {
            $this->io()->progressAdvance(max(0, $done - $advanced));
            $advanced = $done;
        });
        $this->io()->progressFinish();
        foreach ($missing as $name) {
            $summary->fail(0, $name, 'No Drupal account has this username.');
        }
        $this->io()->table(['Result', 'Users'], $summary->rows());
        if ($summary->failures !== []) {
            $this->io()->table(['uid', 'Username', 'Cause'], array_map(static fn (array $f): array => [$f['uid'], $f['name'], $f['cause']], $summary->failures));
        }
        if ($summary->aborted !== null) {
            $this->io()->error('Stopped early: ' . $summary->aborted);
        } elseif ($summary->exitCode() === 0) {
            $this->io()->success($summary->summary());
        }

        return $summary->exitCode();
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
    public function import(array $options = ['full' => false, 'dry-run' => false]): int
    {
        $dryRun = !empty($options['dry-run']);
        $this->io()->progressStart();
        $report = $this->importer->run(!empty($options['full']), $dryRun, null, function (ImportReport $report): void {
            $this->io()->progressAdvance();
        });
        $this->io()->progressFinish();
        $this->io()->table(['Result', 'Users'], array_map(static fn (string $result, int $n): array => [$result, $n], array_keys($report->counts), array_values($report->counts)));
        $rows = [];
        foreach ($report->rows as $row) {
            if ($dryRun || in_array($row['result'], [ImportReport::CONFLICT, ImportReport::FAILED], true)) {
                $rows[] = [$row['result'], $row['upn'] !== '' ? $row['upn'] : $row['id'], $row['uid'] ?? '-', $row['detail']];
            }
        }
        if ($rows !== []) {
            $this->io()->table(['Result', 'Entra ID user', 'uid', 'Detail'], $rows);
        }
        if ($report->error !== null) {
            $this->io()->error($this->formatter->summary($report->error));
        } elseif ($report->exitCode() === 0) {
            $this->io()->success($report->summary());
        } else {
            $this->io()->warning($report->summary());
        }

        return $report->exitCode();
    }

    /**
     * Configuration, secret source, FFI mode, library/ABI, counts, last sync.
     */
    #[CLI\Command(name: 'entra:status', aliases: ['entra-status'])]
    #[CLI\Usage(name: 'drush entra:status', description: 'The status report lines of the module; exit code 1 when one of them is an error.')]
    public function status(): int
    {
        $lines = $this->requirements->evaluate();
        $rows = [];
        foreach ($lines as $line) {
            $rows[] = [$line['title'], $line['value'], $line['severity']];
        }
        $delta = $this->importer->lastDeltaSync();
        $rows[] = ['Last delta sync (Entra ID → Drupal)', $delta !== null ? gmdate('Y-m-d H:i:s', $delta) . ' UTC' : 'never', 'info'];
        $this->io()->table(['Check', 'Value', 'Severity'], $rows);
        foreach ($lines as $line) {
            if (in_array($line['severity'], [RequirementsEvaluator::WARNING, RequirementsEvaluator::ERROR], true) && $line['description'] !== '') {
                $this->io()->writeln(sprintf('%s: %s', $line['title'], $line['description']));
            }
        }

        return CommandSupport::statusExitCode($lines);
    }

    /**
     * --dry-run of entra:provision: the mapping of each user, nothing sent.
     *
     * @param list<int>|null $uids
     * @param list<string> $missing
     */
    private function dryRun(?array $uids, array $missing, int $chunk): int
    {
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
        if ($uids !== null) {
            foreach (array_chunk($uids, $chunk) as $batch) {
                $print($batch);
            }
        } else {
            $after = 0;
            while (($batch = $this->bulkSync->nextActiveChunk($after, $chunk)) !== []) {
                $print($batch);
                $after = max($batch);
            }
        }
        $this->io()->note(sprintf('Dry run: nothing was sent to Entra ID. %d user(s) could not be mapped.', $failed));

        return $failed === 0 ? CommandSupport::EXIT_SUCCESS : CommandSupport::EXIT_FAILURE;
    }
}
